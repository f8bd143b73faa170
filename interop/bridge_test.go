//go:build unix

package interop

import (
	"fmt"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// cmd/wsbridge in the load balancer's place of the seed's architecture: mqtt.js clients speak
// MQTT over WebSocket to the bridge, which relays each connection to mosquitto's plain MQTT
// listener (its 1883), as websockify or a broker's own WebSocket listener would.

// startWsbridge runs the cmd/wsbridge binary on 127.0.0.1:port with args.
func startWsbridge(t *testing.T, port int, args ...string) *process {
	t.Helper()
	cmd := exec.Command(commandPath(t, "wsbridge"), append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, args...)...)
	p := startProcess(t, "cmd/wsbridge", cmd)
	t.Cleanup(func() { checkNoRace(t, p) })
	p.waitOutput(t, regexp.MustCompile(`listening on ws://`), 30*time.Second)
	return p
}

// stopWsbridge sends SIGTERM and requires a clean exit, as a load balancer's draining does.
func stopWsbridge(t *testing.T, p *process) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if status := p.wait(t, 20*time.Second); status != 0 {
		t.Errorf("cmd/wsbridge exited with status %d after SIGTERM, want 0", status)
	}
}

// TestBridgeMQTT: mqtt.js through cmd/wsbridge to mosquitto's TCP listener: connect,
// subscribe and publish at QoS 0, 1 and 2, a 300 kB publish, the will of a client dropped
// without DISCONNECT, and both clients back on their own after the bridge restarts, the
// subscriber's session kept.
func TestBridgeMQTT(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "mqtt")
	broker := startMosquitto(t, requireMosquitto(t))
	port := freePort(t)
	args := []string{"-route", fmt.Sprintf("/mqtt=127.0.0.1:%d", broker.mqttPort), "-subprotocols", "mqtt"}
	bridge := startWsbridge(t, port, args...)

	script := startNode(t, node, "bridge_mqtt.mjs", nil, fmt.Sprintf(`{"url": "ws://127.0.0.1:%d/mqtt"}`, port))
	script.waitEvent(t, "will", 1, 60*time.Second)
	script.waitEvent(t, "restart_now", 1, 30*time.Second)
	stopWsbridge(t, bridge)
	// Every client got 1001 on the way down (RFC 6455 §7.4.1), and the log has each one.
	bridge.waitOutput(t, regexp.MustCompile(`path=/mqtt backend=127\.0\.0\.1:\d+ subprotocol="mqtt" up=\d+ down=\d+ .*ended=server shutting down`), 5*time.Second)
	// The client dropped without a close frame: 1006 (RFC 6455 §7.1.5), a FIN to the broker,
	// which then published the will and closed its end.
	bridge.waitOutput(t, regexp.MustCompile(`subprotocol="mqtt" .*client=close=1006 reason="" backend_end=eof`), 5*time.Second)
	startWsbridge(t, port, args...)
	script.waitEvent(t, "reconnected", 1, 30*time.Second)
	script.waitEvent(t, "done", 1, 30*time.Second)
	if status := script.wait(t, 10*time.Second); status != 0 {
		t.Fatalf("bridge_mqtt.mjs exited with status %d", status)
	}
	for _, want := range []string{`"topic":"bridge/qos0","payload":"hello at qos 0","qos":0`, `"topic":"bridge/qos1","payload":"hello at qos 1","qos":1`, `"topic":"bridge/qos2","payload":"hello at qos 2","qos":2`} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(script.stdout.String()) {
			t.Errorf("the subscriber did not report %s", want)
		}
	}
}

// TestBridgeSeedClient: the seed's mqtt.js client, unchanged but for the URL (redirected from
// ws://localhost:8083/mqtt), through cmd/wsbridge; our subscriber on mosquitto's own WebSocket
// listener gets its publish, and our publish reaches its subscription.
func TestBridgeSeedClient(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "mqtt")
	broker := startMosquitto(t, requireMosquitto(t))
	port := freePort(t)
	startWsbridge(t, port, "-route", fmt.Sprintf("/mqtt=127.0.0.1:%d", broker.mqttPort), "-subprotocols", "mqtt")

	m := dialMQTT(t, fmt.Sprintf("ws://127.0.0.1:%d/mqtt", broker.port), "ws-interop-bridge-go")
	m.subscribe(t, "another/topic")
	seed := startNode(t, node, "seed_mqtt_client.mjs", map[string]string{"ws://localhost:8083/mqtt": fmt.Sprintf("ws://127.0.0.1:%d/mqtt", port)})
	topic, got := m.expectPublish(t)
	if topic != "another/topic" || string(got) != "Hello from MQTT over WebSocket client!" {
		t.Errorf("received %q %q from the seed client", topic, got)
	}
	seed.waitOutput(t, regexp.MustCompile(`^Subscribed to topic: my/topic$`), 20*time.Second)
	m.publish(t, "my/topic", []byte("Hello through cmd/wsbridge!"))
	seed.waitOutput(t, regexp.MustCompile(`^Received message on topic "my/topic": Hello through cmd/wsbridge!$`), 10*time.Second)
	m.disconnect(t)
}
