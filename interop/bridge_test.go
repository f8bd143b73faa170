//go:build unix

package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// bridgeBalancerConfig is HAProxy terminating TLS in front of three cmd/wsbridge instances, as
// the seed's AWS load balancer would be: round robin, health checks twice a second, and a
// connection that cannot reach a dead bridge retried on another (redispatch).
const bridgeBalancerConfig = `# HAProxy in front of cmd/wsbridge, for the scale-out test
global
    log stderr format raw local0 notice
    maxconn 4000

defaults
    mode http
    log global
    option forwardfor
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h

frontend mqtt_wss
    bind 127.0.0.1:{{port}} ssl crt {{pem}} alpn http/1.1
    default_backend bridges

backend bridges
    balance roundrobin
    default-server check inter 500ms fall 1 rise 2
{{servers}}`

// TestBridgeScaleOut: 300 mqtt.js clients through HAProxy (TLS) to three cmd/wsbridge
// instances and one mosquitto. Each client's connection lives on one bridge; the broker does
// the fan-out, so a message published through one bridge reaches the subscribers on all three.
// One bridge is killed (SIGKILL, as a crash) while QoS 1 messages flow: its clients reconnect
// through the balancer to the others, and every subscriber ends with every message.
func TestBridgeScaleOut(t *testing.T) {
	t.Parallel()
	node := requireNode(t, "mqtt")
	haproxy := requireHAProxy(t)
	broker := startMosquitto(t, requireMosquitto(t))
	cert := newTestCert(t)

	var bridges []*process
	var servers strings.Builder
	for i := range 3 {
		port := freePort(t)
		bridges = append(bridges, startWsbridge(t, port, "-v", "-route", fmt.Sprintf("/mqtt=127.0.0.1:%d", broker.mqttPort),
			"-subprotocols", "mqtt", "-trust-forwarded", "127.0.0.1/32"))
		fmt.Fprintf(&servers, "    server bridge%d 127.0.0.1:%d\n", i, port)
	}
	dir := t.TempDir()
	pem := writeCombinedPEM(t, dir, cert)
	lbPort := freePort(t)
	config := strings.NewReplacer("{{port}}", fmt.Sprint(lbPort), "{{pem}}", pem, "{{servers}}", servers.String()).Replace(bridgeBalancerConfig)
	confFile := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(confFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	lb := startProcess(t, "haproxy", exec.Command(haproxy, "-db", "-f", confFile))
	waitListening(t, lb, lbPort, 15*time.Second)

	const clients, messages = 300, 200
	cmd := exec.Command(node, "--import", "./testdata/node/loader.mjs", "testdata/node/bridge_scale.mjs",
		fmt.Sprintf(`{"url": "wss://127.0.0.1:%d/mqtt", "clients": %d, "messages": %d, "interval_ms": 10}`, lbPort, clients, messages))
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+cert.certFile) // trust the balancer's certificate
	script := startProcess(t, "node bridge_scale.mjs", cmd)
	script.waitEvent(t, "subscribed", 1, 120*time.Second)

	// Spread: each bridge took about a third of the clients.
	open := regexp.MustCompile(`open path=/mqtt`)
	for i, b := range bridges {
		if n := len(open.FindAllString(b.stderr.String(), -1)); n < clients/6 {
			t.Errorf("bridge %d took %d of %d clients", i, n, clients)
		}
	}
	script.waitEvent(t, "published", 2, 60*time.Second) // 40 messages out
	killed := bridges[1]
	syscall.Kill(-killed.cmd.Process.Pid, syscall.SIGKILL)
	script.waitEvent(t, "done", 1, 120*time.Second)
	if status := script.wait(t, 30*time.Second); status != 0 {
		t.Fatalf("bridge_scale.mjs exited with status %d", status)
	}
	var report struct {
		Clients, Complete, Lowest, Duplicates, Reconnects int
	}
	for _, line := range script.stdout.lines() {
		if strings.Contains(line, `"event":"done"`) {
			if err := json.Unmarshal([]byte(line), &report); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d clients, %d QoS 1 messages: %d clients got every one (lowest %d), %d duplicates, %d reconnections",
		report.Clients, messages, report.Complete, report.Lowest, report.Duplicates, report.Reconnects)
	if report.Complete != clients {
		t.Errorf("%d of %d subscribers got all %d QoS 1 messages (the lowest got %d)", report.Complete, clients, messages, report.Lowest)
	}
	if report.Reconnects < clients/6 {
		t.Errorf("%d reconnections: the killed bridge's clients did not move", report.Reconnects)
	}
}

// writeCombinedPEM writes cert's certificate and key into one file, as HAProxy takes them.
func writeCombinedPEM(t *testing.T, dir string, cert testCert) string {
	t.Helper()
	certPEM, err := os.ReadFile(cert.certFile)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(cert.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem := filepath.Join(dir, "combined.pem")
	if err := os.WriteFile(pem, append(certPEM, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	return pem
}
