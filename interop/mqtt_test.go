//go:build unix

package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
	"github.com/rfc6455/ws/interop/internal/peertest"
)

// MQTT over WebSocket, the seed's second half. Debian's mosquitto broker with a
// "protocol websockets" listener is a WebSocket server nobody here wrote (libwebsockets inside).
// Our client dials it with the subprotocol mqtt and speaks MQTT 3.1.1 over binary messages; the
// seed's mqtt.js client publishes through the same broker to our subscriber.

// TestMQTT runs a broker of its own, on a free port of 127.0.0.1, for the whole test.
func TestMQTT(t *testing.T) {
	t.Parallel()
	mosquitto := requireMosquitto(t)
	broker := startMosquitto(t, mosquitto)
	url := fmt.Sprintf("ws://127.0.0.1:%d/mqtt", broker.port)

	t.Run("publish to self", func(t *testing.T) {
		m := dialMQTT(t, url, "ws-interop-self")
		m.subscribe(t, "interop/self/#")
		// Messages whose frames use each of the three length encodings of §5.2. Not larger:
		// mosquitto 2.0.11 sends big messages slowly, to any client (about 1.5 s for 64 KiB).
		for _, size := range []int{0, 1, 100, 10_000, 70_000} {
			topic := fmt.Sprintf("interop/self/%d", size)
			p := peertest.Payload(frame.OpBinary, size)
			m.publish(t, topic, p)
			gotTopic, got := m.expectPublish(t)
			if gotTopic != topic || !bytes.Equal(got, p) {
				t.Errorf("received %q (%s), want %q (%s)", gotTopic, peertest.Describe(got), topic, peertest.Describe(p))
			}
		}
		// PINGREQ and PINGRESP: MQTT's keepalive, not WebSocket's.
		m.send(t, mqttPingreq, 0, nil)
		m.expect(t, mqttPingresp)
		m.disconnect(t)
	})

	t.Run("seed mqtt.js client", func(t *testing.T) {
		node := requireNode(t, "mqtt")
		m := dialMQTT(t, url, "ws-interop-go")
		// The seed client publishes "Hello from MQTT over WebSocket client!" to another/topic
		// once connected, and subscribes to my/topic.
		m.subscribe(t, "another/topic")
		seed := startNode(t, node, "seed_mqtt_client.mjs", map[string]string{"ws://localhost:8083/mqtt": url})
		topic, got := m.expectPublish(t)
		if topic != "another/topic" || string(got) != "Hello from MQTT over WebSocket client!" {
			t.Errorf("received %q %q from the seed client", topic, got)
		}
		// The other way: our publish reaches the seed client's subscription.
		seed.waitOutput(t, regexp.MustCompile(`^Subscribed to topic: my/topic$`), 20*time.Second)
		m.publish(t, "my/topic", []byte("Hello from our Go client over our WebSocket!"))
		seed.waitOutput(t, regexp.MustCompile(`^Received message on topic "my/topic": Hello from our Go client over our WebSocket!$`), 10*time.Second)
		m.disconnect(t)
	})

	t.Run("unknown subprotocol", func(t *testing.T) {
		// mosquitto drops the TCP connection when no subprotocol it knows is offered: Dial
		// must fail promptly with an error, not hang.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: []string{"wamp"}})
		if err == nil {
			c.CloseNow()
			t.Fatal("Dial with subprotocol wamp succeeded; mosquitto speaks only mqtt")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial waited for its deadline: %v", err)
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("the broker is not listening: %v", err)
		}
		t.Logf("Dial with an unknown subprotocol: %v", err)
	})
}

// mosquittoBroker is a running mosquitto.
type mosquittoBroker struct {
	*process
	port     int // the WebSocket listener
	mqttPort int // the plain MQTT (TCP) listener, as on 1883
}

// startMosquitto runs mosquitto in the foreground with a configuration of its own in a temporary
// directory: a WebSocket listener on 127.0.0.1, anonymous clients, nothing persisted. Once a
// listener is configured there is no default one on port 1883, so a system mosquitto service,
// if the package started one, is not involved.
func startMosquitto(t *testing.T, mosquitto string) *mosquittoBroker {
	t.Helper()
	dir := t.TempDir()
	port, mqttPort := freePort(t), freePort(t)
	// A plain MQTT listener beside the WebSocket one, for cmd/wsbridge to reach as a backend
	// (mosquitto 2.0.11 also exits with "Unable to start any listening sockets" when all its
	// listeners are WebSocket ones).
	config := fmt.Sprintf(`# mosquitto for the ws interop tests
listener %d 127.0.0.1
protocol websockets
listener %d 127.0.0.1
protocol mqtt
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
`, port, mqttPort)
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, "mosquitto", exec.Command(mosquitto, "-c", confFile))
	p.waitOutput(t, regexp.MustCompile(`mosquitto version \S+ running`), 15*time.Second)
	waitListening(t, p, port, 15*time.Second)
	waitListening(t, p, mqttPort, 15*time.Second)
	return &mosquittoBroker{process: p, port: port, mqttPort: mqttPort}
}

// MQTT 3.1.1 control packet types (MQTT 3.1.1 §2.2.1), those the test uses.
const (
	mqttConnect    = 1
	mqttConnack    = 2
	mqttPublish    = 3
	mqttSubscribe  = 8
	mqttSuback     = 9
	mqttPingreq    = 12
	mqttPingresp   = 13
	mqttDisconnect = 14
)

// mqttClient is a minimal MQTT 3.1.1 client, QoS 0 only, over our WebSocket client. MQTT over
// WebSocket (MQTT 3.1.1 §6) sends MQTT packets in binary messages, and a receiver must not
// assume that a message holds exactly one packet: received messages are a byte stream.
type mqttClient struct {
	c        *conn.Conn
	stream   []byte // received bytes not yet parsed into packets
	packetID uint16
}

// dialMQTT connects to the broker with the subprotocol mqtt and sends CONNECT.
func dialMQTT(t *testing.T, url, clientID string) *mqttClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	// §4.1: the server's Upgrade value is matched case-insensitively; mosquitto's is "WebSocket".
	t.Logf("broker's handshake response: Upgrade: %s", resp.Header.Get("Upgrade"))
	if c.Subprotocol() != "mqtt" {
		t.Fatalf("§4.1: subprotocol %q, want \"mqtt\"", c.Subprotocol())
	}
	m := &mqttClient{c: c}

	var body []byte
	body = appendMQTTString(body, "MQTT") // protocol name
	body = append(body, 4)                // protocol level: 3.1.1
	body = append(body, 0x02)             // connect flags: clean session
	body = binary.BigEndian.AppendUint16(body, 30)
	body = appendMQTTString(body, clientID)
	m.send(t, mqttConnect, 0, body)
	ack := m.expect(t, mqttConnack)
	if len(ack) != 2 || ack[1] != 0 {
		t.Fatalf("CONNACK %x, want return code 0 (accepted)", ack)
	}
	return m
}

// send sends one MQTT packet as one binary message.
func (m *mqttClient) send(t *testing.T, packetType, flags byte, body []byte) {
	t.Helper()
	packet := []byte{packetType<<4 | flags}
	// Remaining length: 7 bits per byte, least significant first (MQTT 3.1.1 §2.2.3).
	for n := len(body); ; {
		b := byte(n & 0x7f)
		if n >>= 7; n > 0 {
			b |= 0x80
		}
		packet = append(packet, b)
		if n == 0 {
			break
		}
	}
	packet = append(packet, body...)
	if err := m.c.WriteMessage(frame.OpBinary, packet); err != nil {
		t.Fatal(err)
	}
}

// next returns the next MQTT packet from the stream of binary messages.
func (m *mqttClient) next(t *testing.T) (packetType, flags byte, body []byte) {
	t.Helper()
	m.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer m.c.SetReadDeadline(time.Time{})
	for {
		if typ, fl, b, n, ok := parseMQTT(m.stream); ok {
			m.stream = m.stream[n:]
			return typ, fl, b
		}
		op, msg, err := m.c.ReadMessage(nil)
		if err != nil {
			t.Fatalf("reading from the broker: %v", err)
		}
		if op != frame.OpBinary {
			t.Fatalf("MQTT over WebSocket: a %v message from the broker, want binary", op)
		}
		m.stream = append(m.stream, msg...)
	}
}

// parseMQTT parses one packet from the start of b, reporting ok false if b holds only part of
// one.
func parseMQTT(b []byte) (packetType, flags byte, body []byte, n int, ok bool) {
	if len(b) < 2 {
		return 0, 0, nil, 0, false
	}
	length, shift, i := 0, 0, 1
	for {
		if i >= len(b) || i > 4 {
			return 0, 0, nil, 0, false
		}
		length |= int(b[i]&0x7f) << shift
		shift += 7
		i++
		if b[i-1]&0x80 == 0 {
			break
		}
	}
	if len(b) < i+length {
		return 0, 0, nil, 0, false
	}
	return b[0] >> 4, b[0] & 0x0f, b[i : i+length], i + length, true
}

// expect reads the next packet and checks its type.
func (m *mqttClient) expect(t *testing.T, packetType byte) []byte {
	t.Helper()
	typ, _, body := m.next(t)
	if typ != packetType {
		t.Fatalf("MQTT packet type %d, want %d", typ, packetType)
	}
	return body
}

// subscribe subscribes to filter with QoS 0 and waits for the SUBACK.
func (m *mqttClient) subscribe(t *testing.T, filter string) {
	t.Helper()
	m.packetID++
	body := binary.BigEndian.AppendUint16(nil, m.packetID)
	body = appendMQTTString(body, filter)
	body = append(body, 0)              // requested QoS 0
	m.send(t, mqttSubscribe, 0x2, body) // MQTT 3.1.1 §3.8.1: SUBSCRIBE's flags are 0010
	ack := m.expect(t, mqttSuback)
	if len(ack) != 3 || binary.BigEndian.Uint16(ack) != m.packetID || ack[2] != 0 {
		t.Fatalf("SUBACK %x, want packet id %d granted QoS 0", ack, m.packetID)
	}
}

// publish publishes p to topic with QoS 0.
func (m *mqttClient) publish(t *testing.T, topic string, p []byte) {
	t.Helper()
	m.send(t, mqttPublish, 0, append(appendMQTTString(nil, topic), p...))
}

// expectPublish reads the next packet, which must be a QoS 0 PUBLISH, and returns its topic and
// payload.
func (m *mqttClient) expectPublish(t *testing.T) (string, []byte) {
	t.Helper()
	body := m.expect(t, mqttPublish)
	if len(body) < 2 || len(body) < 2+int(binary.BigEndian.Uint16(body)) {
		t.Fatalf("malformed PUBLISH %x", body)
	}
	n := int(binary.BigEndian.Uint16(body))
	return string(body[2 : 2+n]), body[2+n:]
}

// disconnect sends DISCONNECT and closes the WebSocket with 1000. The broker may close the TCP
// connection as soon as it reads DISCONNECT, so the close handshake may not complete; what
// matters is that nothing goes wrong before.
func (m *mqttClient) disconnect(t *testing.T) {
	t.Helper()
	m.send(t, mqttDisconnect, 0, nil)
	m.c.Close(frame.CloseNormal, "")
}

func appendMQTTString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}
