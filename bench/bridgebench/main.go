// Command bridgebench measures WebSocket-to-TCP bridges in one run, against one mosquitto
// broker: cmd/wsbridge, websockify (Debian's, the bridge of noVNC) and mosquitto's own WebSocket
// listener (libwebsockets inside), the three ways to put MQTT over WebSocket in front of a
// broker. For each it reports
//
//   - throughput through the bridge, MB/s each way, over one connection to a TCP backend of its
//     own that discards what it gets or sends as fast as it can (not for mosquitto's listener,
//     which is no bridge);
//   - MQTT publishes of 100 bytes at QoS 0 delivered per second, a publisher and a subscriber
//     both through it, and the CPU time (user and system, from /proc) the bridge's processes
//     and the broker spent per message delivered;
//   - memory per idle connection: the PSS of the bridge's processes and the broker's, after
//     -conns MQTT clients have connected through it (each a WebSocket, a CONNECT and its
//     CONNACK), less what they used before.
//
// Usage (websockify and mosquitto from Debian: apt-get install websockify mosquitto):
//
//	go build -o /tmp/wsbridge ./cmd/wsbridge
//	go run ./bench/bridgebench -wsbridge /tmp/wsbridge -conns 9000
//
// websockify forks a process for each connection, so its idle figure is taken at
// -websockify-conns connections (default 500). Each bridge holds two file descriptors per
// connection: -conns is capped at what the hard limit of open files allows. Linux only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfc6455/ws/bench/internal/serverproc"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

func main() {
	wsbridge := flag.String("wsbridge", "", "cmd/wsbridge `binary` (required)")
	websockify := flag.String("websockify", "/usr/bin/websockify", "websockify `program`")
	mosquitto := flag.String("mosquitto", "/usr/sbin/mosquitto", "mosquitto `program`")
	conns := flag.Int("conns", 9000, "idle connections for the memory figure")
	wsfyConns := flag.Int("websockify-conns", 500, "idle connections for websockify's memory figure")
	duration := flag.Duration("duration", 5*time.Second, "how long each throughput measurement runs")
	only := flag.String("only", "", "measure only this `target`: wsbridge, websockify or mosquitto")
	flag.Parse()
	if *wsbridge == "" {
		flag.Usage()
		os.Exit(2)
	}
	limit := serverproc.RaiseFileLimit()
	if max := int(limit/2) - 200; *conns > max {
		log.Printf("-conns %d capped at %d: the hard limit of open files is %d, and a bridge holds two per connection", *conns, max, limit)
		*conns = max
	}
	b := &bench{wsbridge: *wsbridge, websockify: *websockify, mosquitto: *mosquitto, duration: *duration, only: *only}
	if err := b.run(*conns, *wsfyConns); err != nil {
		log.Fatal(err)
	}
}

type bench struct {
	wsbridge, websockify, mosquitto string
	duration                        time.Duration
	only                            string
}

// target is one way to MQTT over WebSocket, started against a broker.
type target struct {
	name    string
	mqttURL string  // ws:// URL that reaches the broker
	rawURL  string  // ws:// URL that reaches the raw backend; "" for none
	procs   []*proc // the bridge's processes, whose memory counts

	// protocols are the subprotocols the MQTT clients offer: mqtt, as mqtt.js does (MQTT
	// 3.1.1 §6), and for websockify binary first: websockify 0.10 refuses (400) a client that
	// offers subprotocols unless the first is binary (it splits the header at commas without
	// trimming the spaces), so mqtt.js itself cannot reach a broker through it.
	protocols []string
}

func (b *bench) run(conns, wsfyConns int) error {
	fmt.Printf("bridgebench: %s, websockify %s, mosquitto %s; %v per throughput figure\n\n", b.wsbridge, b.websockify, b.mosquitto, b.duration)
	fmt.Printf("%-20s %10s %10s %11s   %-22s   %s\n", "", "up MB/s", "down MB/s", "MQTT msg/s", "CPU µs/msg: bridge+broker", "KiB per idle connection: total = bridge + broker")
	for _, name := range []string{"cmd/wsbridge", "websockify", "mosquitto websockets"} {
		if b.only != "" && !strings.Contains(name, b.only) {
			continue
		}
		n := conns
		if name == "websockify" {
			n = wsfyConns
		}
		if err := b.measure(name, n); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// broker starts mosquitto with a WebSocket listener and a plain one, and returns their ports.
func (b *bench) broker(dir string) (*proc, int, int, error) {
	wsPort, tcpPort := freePort(), freePort()
	conf := filepath.Join(dir, "mosquitto.conf")
	config := fmt.Sprintf("listener %d 127.0.0.1\nprotocol websockets\nlistener %d 127.0.0.1\nprotocol mqtt\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nlog_dest none\n", wsPort, tcpPort)
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		return nil, 0, 0, err
	}
	p, err := start(b.mosquitto, tcpPort, "-c", conf)
	return p, wsPort, tcpPort, err
}

func (b *bench) measure(name string, idleConns int) error {
	dir, err := os.MkdirTemp("", "bridgebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	broker, wsPort, tcpPort, err := b.broker(dir)
	if err != nil {
		return err
	}
	defer broker.stop()
	raw := newRawBackend()
	defer raw.ln.Close()

	t := target{name: name, protocols: []string{"mqtt"}}
	switch name {
	case "cmd/wsbridge":
		port := freePort()
		p, err := start(b.wsbridge, port, "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-route", fmt.Sprintf("/mqtt=127.0.0.1:%d", tcpPort),
			"-route", "/raw="+raw.addr(), "-max-conns", "0", "-ping-interval", "0", "-idle-timeout", "0")
		if err != nil {
			return err
		}
		defer p.stop()
		t.procs = []*proc{p}
		t.mqttURL = fmt.Sprintf("ws://127.0.0.1:%d/mqtt", port)
		t.rawURL = fmt.Sprintf("ws://127.0.0.1:%d/raw", port)
	case "websockify":
		mqttPort, rawPort := freePort(), freePort()
		pm, err := start(b.websockify, mqttPort, fmt.Sprintf("127.0.0.1:%d", mqttPort), fmt.Sprintf("127.0.0.1:%d", tcpPort))
		if err != nil {
			return err
		}
		defer pm.stop()
		pr, err := start(b.websockify, rawPort, fmt.Sprintf("127.0.0.1:%d", rawPort), raw.addr())
		if err != nil {
			return err
		}
		defer pr.stop()
		t.procs = []*proc{pm}
		t.protocols = []string{"binary", "mqtt"}
		t.mqttURL = fmt.Sprintf("ws://127.0.0.1:%d/", mqttPort)
		t.rawURL = fmt.Sprintf("ws://127.0.0.1:%d/", rawPort)
	default:
		t.mqttURL = fmt.Sprintf("ws://127.0.0.1:%d/mqtt", wsPort)
	}

	up, down := "—", "—"
	if t.rawURL != "" {
		u, err := b.throughputUp(t.rawURL, raw)
		if err != nil {
			return fmt.Errorf("up: %w", err)
		}
		d, err := b.throughputDown(t.rawURL)
		if err != nil {
			return fmt.Errorf("down: %w", err)
		}
		up, down = fmt.Sprintf("%.1f", u), fmt.Sprintf("%.1f", d)
	}
	rate, cpu, err := b.mqttRate(t, broker)
	if err != nil {
		return fmt.Errorf("MQTT: %w", err)
	}
	bridgeMem, brokerMem, err := idleMemory(t, broker, idleConns)
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	fmt.Printf("%-20s %10s %10s %11.0f   %4.1f = %4.1f + %4.1f   %.1f = %.1f + %.1f (at %d connections)\n", name, up, down, rate,
		cpu.bridge+cpu.broker, cpu.bridge, cpu.broker,
		(bridgeMem+brokerMem)/1024, bridgeMem/1024, brokerMem/1024, idleConns)
	return nil
}

// rawBackend is the TCP service behind the bridges for the throughput figures: each connection
// either discards what it gets (counting it) or, if its first byte is 'F', floods.
type rawBackend struct {
	ln       net.Listener
	received atomic.Int64
}

func newRawBackend() *rawBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	r := &rawBackend{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *rawBackend) addr() string { return r.ln.Addr().String() }

func (r *rawBackend) serve(c net.Conn) {
	defer c.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		return
	}
	if first[0] == 'F' {
		go io.Copy(io.Discard, c)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		r.received.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// throughputUp sends 64 KiB messages for the duration and returns what the backend got, MB/s.
func (b *bench) throughputUp(url string, raw *rawBackend) (float64, error) {
	c, _, err := conn.Dial(context.Background(), url, nil)
	if err != nil {
		return 0, err
	}
	defer c.CloseNow()
	c.WriteMessage(frame.OpBinary, []byte{'S'})
	msg := make([]byte, 64<<10)
	time.Sleep(100 * time.Millisecond)
	start, before := time.Now(), raw.received.Load()
	for time.Since(start) < b.duration {
		if err := c.WriteMessage(frame.OpBinary, msg); err != nil {
			return 0, err
		}
	}
	got := raw.received.Load() - before
	return float64(got) / time.Since(start).Seconds() / 1e6, nil
}

// throughputDown has the backend flood and returns what the client read, MB/s.
func (b *bench) throughputDown(url string) (float64, error) {
	c, _, err := conn.Dial(context.Background(), url, nil)
	if err != nil {
		return 0, err
	}
	defer c.CloseNow()
	c.WriteMessage(frame.OpBinary, []byte{'F'})
	var got int64
	var buf []byte
	start := time.Now()
	for time.Since(start) < b.duration {
		_, p, err := c.ReadMessage(buf)
		if err != nil {
			return 0, err
		}
		got += int64(len(p))
		buf = p[:0]
	}
	return float64(got) / time.Since(start).Seconds() / 1e6, nil
}

// mqttCPU is the CPU time the bridge's processes and the broker spent per message delivered,
// in microseconds.
type mqttCPU struct{ bridge, broker float64 }

// mqttRate publishes 100-byte messages at QoS 0 for the duration and returns how many a
// subscriber received per second, and the CPU time each message cost.
func (b *bench) mqttRate(t target, broker *proc) (float64, mqttCPU, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sub, err := dialMQTT(ctx, t.mqttURL, t.protocols, "bench-sub")
	if err != nil {
		return 0, mqttCPU{}, err
	}
	defer sub.c.CloseNow()
	if err := sub.subscribe("bench/rate"); err != nil {
		return 0, mqttCPU{}, err
	}
	pub, err := dialMQTT(ctx, t.mqttURL, t.protocols, "bench-pub")
	if err != nil {
		return 0, mqttCPU{}, err
	}
	defer pub.c.CloseNow()
	body := appendString(nil, "bench/rate")
	body = append(body, make([]byte, 100)...)
	var received atomic.Int64
	go func() {
		for {
			typ, _, err := sub.next()
			if err != nil {
				return
			}
			if typ == 3 {
				received.Add(1)
			}
		}
	}()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if pub.send(0x30, body) != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	bridgeCPU := func() (d time.Duration) {
		for _, p := range t.procs {
			d += p.cpu()
		}
		return d
	}
	start, before := time.Now(), received.Load()
	bridgeBefore, brokerBefore := bridgeCPU(), broker.cpu()
	time.Sleep(b.duration)
	got := received.Load() - before
	elapsed := time.Since(start)
	perMessage := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(got, 1)) }
	cpu := mqttCPU{bridge: perMessage(bridgeCPU() - bridgeBefore), broker: perMessage(broker.cpu() - brokerBefore)}
	close(stop)
	return float64(got) / elapsed.Seconds(), cpu, nil
}

// idleMemory connects n MQTT clients through t, and returns the memory each added to t's
// processes and to the broker's, in bytes.
func idleMemory(t target, broker *proc, n int) (bridge, brokerMem float64, err error) {
	measure := func() (int64, int64) {
		var total int64
		for _, p := range t.procs {
			total += p.pss()
		}
		return total, broker.pss()
	}
	time.Sleep(500 * time.Millisecond)
	bridgeBefore, brokerBefore := measure()
	clients := make([]*mqttConn, n)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			m, err := dialMQTT(ctx, t.mqttURL, t.protocols, fmt.Sprintf("idle-%d", i))
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			clients[i] = m
		}()
	}
	wg.Wait()
	defer func() {
		for _, m := range clients {
			if m != nil {
				m.c.CloseNow()
			}
		}
	}()
	if f := failed.Load(); f > 0 {
		return 0, 0, fmt.Errorf("%d of %d connections failed: %v", f, n, firstErr.Load())
	}
	time.Sleep(2 * time.Second)
	bridgeAfter, brokerAfter := measure()
	return float64(bridgeAfter-bridgeBefore) / float64(n), float64(brokerAfter-brokerBefore) / float64(n), nil
}
