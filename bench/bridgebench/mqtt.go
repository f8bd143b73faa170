package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/rfc6455/ws/conn"
	"github.com/rfc6455/ws/frame"
)

// An mqttConn is just enough of an MQTT 3.1.1 client for the benchmark: CONNECT, SUBSCRIBE and
// QoS 0 PUBLISH, each packet in a binary message of its own as mqtt.js sends them (MQTT 3.1.1
// §6), and a reader that takes the received messages as the byte stream they are.
type mqttConn struct {
	c       *conn.Conn
	pending []byte
}

// dialMQTT connects through url, offering the subprotocols, and sends CONNECT.
func dialMQTT(ctx context.Context, url string, protocols []string, clientID string) (*mqttConn, error) {
	c, _, err := conn.Dial(ctx, url, &conn.DialOptions{Subprotocols: protocols, ReadBufferSize: 4 << 10, WriteBufferSize: 4 << 10})
	if err != nil {
		return nil, err
	}
	m := &mqttConn{c: c}
	// CONNECT (§3.1): protocol "MQTT" level 4, clean session, keepalive 0 (off: the idle
	// connections must stay silent).
	body := appendString(nil, "MQTT")
	body = append(body, 4, 0x02, 0, 0)
	body = appendString(body, clientID)
	if err := m.send(0x10, body); err != nil {
		c.CloseNow()
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, _, err := m.next()
	c.SetReadDeadline(time.Time{})
	if err != nil || typ != 2 {
		c.CloseNow()
		return nil, fmt.Errorf("CONNACK: type %d, %v", typ, err)
	}
	return m, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// packet returns a control packet: the fixed header (type and flags, remaining length as a
// variable byte integer, §2.2.3) and body.
func packet(header byte, body []byte) []byte {
	p := []byte{header}
	n := len(body)
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		p = append(p, b)
		if n == 0 {
			break
		}
	}
	return append(p, body...)
}

func (m *mqttConn) send(header byte, body []byte) error {
	return m.c.WriteMessage(frame.OpBinary, packet(header, body))
}

func (m *mqttConn) subscribe(topic string) error {
	body := binary.BigEndian.AppendUint16(nil, 1)
	body = appendString(body, topic)
	body = append(body, 0) // QoS 0
	if err := m.send(0x82, body); err != nil {
		return err
	}
	typ, _, err := m.next()
	if err == nil && typ != 9 {
		err = fmt.Errorf("SUBACK: packet type %d", typ)
	}
	return err
}

// next returns the type and body of the next packet.
func (m *mqttConn) next() (typ byte, body []byte, err error) {
	for {
		if t, b, n, ok := parsePacket(m.pending); ok {
			m.pending = m.pending[n:]
			return t, b, nil
		}
		_, p, err := m.c.ReadMessage(nil)
		if err != nil {
			return 0, nil, err
		}
		m.pending = append(m.pending, p...)
	}
}

func parsePacket(b []byte) (typ byte, body []byte, n int, ok bool) {
	if len(b) < 2 {
		return 0, nil, 0, false
	}
	length, shift, i := 0, 0, 1
	for {
		if i >= len(b) || i > 4 {
			return 0, nil, 0, false
		}
		length |= int(b[i]&0x7f) << shift
		shift += 7
		if b[i]&0x80 == 0 {
			break
		}
		i++
	}
	end := i + 1 + length
	if end > len(b) {
		return 0, nil, 0, false
	}
	return b[0] >> 4, b[i+1 : end], end, true
}
