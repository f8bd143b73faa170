package conform

// The fuzzing server: the suite in the server's role, for testing clients. It speaks the URL
// protocol of the Autobahn TestSuite's fuzzing server, so that a client harness written for
// Autobahn runs against it unchanged:
//
//	/getCaseCount                    a text message with the number of cases, then close
//	/getCaseInfo?case=N              {"id": "1.1.1", "description": "..."}, then close
//	/getCaseStatus?case=N&agent=A    {"behavior": "OK"} for A's last run of case N, then close
//	/runCase?case=N&agent=A          case N (1-based) played against client A, which echoes
//	/updateReports?agent=A           the report of A's cases is made, then close
//
// Each is a WebSocket connection. The handshake is done here by hand with package handshake and
// frames are written raw, as for CheckServer: no package conn.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// FuzzingServer is an http.Handler that plays the cases against clients. A client under test
// connects to /runCase?case=N&agent=A for each N from 1 to the count /getCaseCount reports, echoes
// every message it receives until the connection closes, and finally connects to
// /updateReports?agent=A. The results are kept per agent.
type FuzzingServer struct {
	cases []Case
	opts  Options

	mu      sync.Mutex
	idle    *sync.Cond                   // signalled when a case ends; uses mu
	results map[string]map[string]Result // by agent, then case ID: the last run of each case
	started map[string]time.Time         // by agent: when its first case began
	running map[string]int               // by agent: cases being played
	target  map[string]string            // by agent: the URL it connected to
}

// NewFuzzingServer returns a fuzzing server that offers cases, numbered from 1 in their order.
// Of opts, it uses Timeout, Progress and OnReport.
func NewFuzzingServer(cases []Case, opts *Options) *FuzzingServer {
	s := &FuzzingServer{
		cases:   slices.Clone(cases),
		results: make(map[string]map[string]Result),
		started: make(map[string]time.Time),
		running: make(map[string]int),
		target:  make(map[string]string),
	}
	s.idle = sync.NewCond(&s.mu)
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// ServeHTTP answers the endpoints of the fuzzing protocol.
func (s *FuzzingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	agent := q.Get("agent")
	switch r.URL.Path {
	case "/getCaseCount":
		s.say(w, r, strconv.Itoa(len(s.cases)))
	case "/getCaseInfo":
		c, ok := s.caseParam(w, q.Get("case"))
		if !ok {
			return
		}
		info, _ := json.Marshal(struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		}{c.ID, c.Description})
		s.say(w, r, string(info))
	case "/getCaseStatus":
		c, ok := s.caseParam(w, q.Get("case"))
		if !ok {
			return
		}
		behavior := "UNKNOWN"
		s.mu.Lock()
		if res, ok := s.results[agent][c.ID]; ok {
			behavior = string(res.Verdict)
		}
		s.mu.Unlock()
		status, _ := json.Marshal(struct {
			Behavior string `json:"behavior"`
		}{behavior})
		s.say(w, r, string(status))
	case "/runCase":
		c, ok := s.caseParam(w, q.Get("case"))
		if !ok {
			return
		}
		if agent == "" {
			http.Error(w, "runCase needs an agent: /runCase?case=N&agent=NAME", http.StatusBadRequest)
			return
		}
		s.runCase(w, r, c, agent)
	case "/updateReports":
		if agent == "" {
			http.Error(w, "updateReports needs an agent: /updateReports?agent=NAME", http.StatusBadRequest)
			return
		}
		if s.opts.OnReport != nil {
			// A harness may ask for the report as soon as its client has closed the last case,
			// before the suite has finished judging it.
			s.waitIdle(agent)
			s.opts.OnReport(s.Report(agent))
		}
		s.say(w, r, "")
	default:
		http.Error(w, "wsconform fuzzing server: connect with WebSocket to /getCaseCount, /getCaseInfo?case=N, "+
			"/runCase?case=N&agent=NAME, /getCaseStatus?case=N&agent=NAME or /updateReports?agent=NAME", http.StatusNotFound)
	}
}

// caseParam returns the case numbered n (from 1), or answers 400 Bad Request.
func (s *FuzzingServer) caseParam(w http.ResponseWriter, n string) (Case, bool) {
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || i > len(s.cases) {
		http.Error(w, fmt.Sprintf("case must be a number from 1 to %d", len(s.cases)), http.StatusBadRequest)
		return Case{}, false
	}
	return s.cases[i-1], true
}

// runCase plays case c against the client of agent that sent r, and keeps the result.
func (s *FuzzingServer) runCase(w http.ResponseWriter, r *http.Request, c Case, agent string) {
	start := time.Now()
	deadline := start.Add(s.opts.caseTimeout(c))
	rc, err := acceptRaw(w, r, c.deflate)
	if err != nil {
		return
	}
	s.mu.Lock()
	if _, ok := s.started[agent]; !ok {
		s.started[agent] = start
		s.target[agent] = "ws://" + r.Host + "/runCase"
	}
	s.running[agent]++
	s.mu.Unlock()

	res := play(c, rc, start, deadline)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.running[agent]--
	s.idle.Broadcast()
	if s.results[agent] == nil {
		s.results[agent] = make(map[string]Result)
	}
	s.results[agent][c.ID] = res
	if s.opts.Progress != nil {
		s.opts.Progress(res)
	}
}

// waitIdle waits until no case of agent is being played.
func (s *FuzzingServer) waitIdle(agent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.running[agent] > 0 {
		s.idle.Wait()
	}
}

// say upgrades r, sends text as a text message unless it is empty, and closes the connection
// with 1000, waiting a little for the client's close reply.
func (s *FuzzingServer) say(w http.ResponseWriter, r *http.Request, text string) {
	rc, err := acceptRaw(w, r, nil)
	if err != nil {
		return
	}
	ses := &session{rc: rc, start: time.Now(), deadline: time.Now().Add(2 * time.Second)}
	if text != "" {
		ses.send(textFrame(text))
	}
	ses.send(closeFrame(closePayload(1000, "")))
	for {
		if ev := ses.next(); ev.kind == evClose || ev.kind == evDrop || ev.kind == evTimeout {
			break
		}
	}
	rc.close()
}

// Agents returns the names of the clients that have run cases, sorted.
func (s *FuzzingServer) Agents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var agents []string
	for a := range s.results {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	return agents
}

// Report returns the report of the cases agent has run, in case order.
func (s *FuzzingServer) Report(agent string) *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	report := &Report{Mode: "client", Agent: agent, Target: s.target[agent], Started: s.started[agent]}
	for _, c := range s.cases {
		if res, ok := s.results[agent][c.ID]; ok {
			report.Results = append(report.Results, res)
		}
	}
	if !report.Started.IsZero() {
		report.Duration = time.Since(report.Started)
	}
	return report
}
