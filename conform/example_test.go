package conform_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rfc6455/ws/conform"
	"github.com/rfc6455/ws/conn"
)

// A server is tested with CheckServer: here our own echo handler (see echoHandler), on a few
// cases.
func ExampleCheckServer() {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()

	cases, err := conform.Select(conform.Cases(), []string{"1.1.2", "2.5", "6.4.1"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	report, err := conform.CheckServer(context.Background(), url, cases, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range report.Results {
		fmt.Printf("%s %s: %s\n", r.ID, r.Verdict, r.Observed)
	}
	fmt.Println("passed:", report.Passed(false))
	// Output:
	// 1.1.2 OK: echo: text message of 125 bytes "************************"…; close handshake: close 1000; the server closed TCP
	// 2.5 OK: failed the connection with close 1002; the server closed TCP
	// 6.4.1 OK: failed the connection with close 1007; the server closed TCP
	// passed: true
}

// A client is tested by a FuzzingServer, to which the client connects case by case and echoes.
func ExampleNewFuzzingServer() {
	cases, err := conform.Select(conform.Cases(), []string{"3.1", "7.7.1"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	reports := make(chan *conform.Report, 1)
	srv := httptest.NewServer(conform.NewFuzzingServer(cases, &conform.Options{
		OnReport: func(r *conform.Report) { reports <- r },
	}))
	defer srv.Close()

	// The client under test: conn.Dial, echoing, run by a harness written for Autobahn.
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	for i := 1; i <= len(cases); i++ {
		c, _, err := conn.Dial(context.Background(), fmt.Sprintf("%s/runCase?case=%d&agent=conn", base, i), nil)
		if err != nil {
			log.Fatal(err)
		}
		for {
			op, p, err := c.ReadMessage(nil)
			if err != nil {
				break
			}
			c.WriteMessage(op, p)
		}
		c.CloseNow()
	}
	c, _, err := conn.Dial(context.Background(), base+"/updateReports?agent=conn", nil)
	if err != nil {
		log.Fatal(err)
	}
	c.ReadMessage(nil)
	c.CloseNow()

	for _, r := range (<-reports).Results {
		fmt.Printf("%s %s: %s\n", r.ID, r.Verdict, r.Observed)
	}
	// Output:
	// 3.1 OK: failed the connection with close 1002
	// 7.7.1 OK: close handshake: close 1000
}

func ExampleSelect() {
	cases, err := conform.Select(conform.Cases(), []string{"6.4", "7.13.*"}, []string{"6.4.3"})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cases {
		fmt.Println(c.ID)
	}
	// Output:
	// 6.4.1
	// 6.4.2
	// 6.4.4
	// 7.13.1
	// 7.13.2
}
