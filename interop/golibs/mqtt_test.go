//go:build unix

package golibs

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// TestPahoOverStream runs Eclipse Paho's Go MQTT client, a real user of net.Conn, over
// conn.Stream: our WebSocket client dials mosquitto's WebSocket listener with the subprotocol
// mqtt (MQTT 3.1.1 §6, MQTT 5 §6: MQTT packets travel in binary messages, which a receiver reads
// as a byte stream), and paho publishes and subscribes through it at QoS 0, 1 and 2.
func TestPahoOverStream(t *testing.T) {
	broker := startMosquitto(t)
	url := fmt.Sprintf("ws://127.0.0.1:%d/mqtt", broker)

	sub := connectPaho(t, url, "ws-golibs-sub")
	pub := connectPaho(t, url, "ws-golibs-pub")
	received := make(chan mqtt.Message, 16)
	if tok := sub.Subscribe("golibs/#", 2, func(_ mqtt.Client, m mqtt.Message) { received <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	for qos := byte(0); qos <= 2; qos++ {
		for _, size := range []int{0, 100, 70_000} {
			topic := fmt.Sprintf("golibs/qos%d/%d", qos, size)
			payload := strings.Repeat("m", size)
			tok := pub.Publish(topic, qos, false, payload)
			if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("publish %s at QoS %d: %v", topic, qos, tok.Error())
			}
			select {
			case m := <-received:
				if m.Topic() != topic || string(m.Payload()) != payload || m.Qos() != qos {
					t.Errorf("received %s (%d bytes) at QoS %d, want %s (%d bytes) at QoS %d",
						m.Topic(), len(m.Payload()), m.Qos(), topic, size, qos)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s at QoS %d was not delivered", topic, qos)
			}
		}
	}
	pub.Disconnect(250)
	sub.Disconnect(250)
}

// connectPaho connects a paho client to url through conn.Dial and conn.Stream.
func connectPaho(t *testing.T, url, clientID string) mqtt.Client {
	t.Helper()
	opts := mqtt.NewClientOptions().
		AddBroker(url).
		SetClientID(clientID).
		SetConnectTimeout(10 * time.Second).
		SetAutoReconnect(false).
		SetCustomOpenConnectionFn(dialStream)
	client := mqtt.NewClient(opts)
	if tok := client.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", clientID, tok.Error())
	}
	t.Cleanup(func() { client.Disconnect(0) })
	return client
}

// dialStream is paho's OpenConnectionFunc on our stack: a WebSocket with the subprotocol mqtt,
// as a net.Conn of binary messages.
func dialStream(u *url.URL, opts mqtt.ClientOptions) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opts.ConnectTimeout)
	defer cancel()
	c, _, err := conn.Dial(ctx, u.String(), &conn.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		return nil, err
	}
	if c.Subprotocol() != "mqtt" {
		c.CloseNow()
		return nil, fmt.Errorf("the broker chose subprotocol %q, not mqtt", c.Subprotocol())
	}
	return conn.NewStream(c, frame.OpBinary), nil
}

// startMosquitto runs Debian's mosquitto with a WebSocket listener on a free port of 127.0.0.1
// and returns the port. It skips the test when mosquitto is not installed, unless
// WS_REQUIRE_PEERS=1 (CI) asks for every peer.
func startMosquitto(t *testing.T) int {
	t.Helper()
	mosquitto, err := exec.LookPath("mosquitto")
	if err != nil {
		mosquitto = "/usr/sbin/mosquitto"
		if _, err := os.Stat(mosquitto); err != nil {
			if os.Getenv("WS_REQUIRE_PEERS") == "1" {
				t.Fatal("mosquitto is not installed (bash interop/setup.sh installs it)")
			}
			t.Skip("mosquitto is not installed (bash interop/setup.sh installs it)")
		}
	}
	port, plainPort := freePort(t), freePort(t)
	// mosquitto 2.0 will not start with WebSocket listeners only: a plain one, unused, keeps it
	// company.
	config := fmt.Sprintf("listener %d 127.0.0.1\nprotocol websockets\nlistener %d 127.0.0.1\nprotocol mqtt\n"+
		"allow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n", port, plainPort)
	confFile := filepath.Join(t.TempDir(), "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mosquitto, "-c", confFile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-logDone
		cmd.Wait()
		if t.Failed() {
			t.Logf("mosquitto's log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto is not listening on %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
