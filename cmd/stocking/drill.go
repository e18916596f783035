package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/workflows"
)

// runDrill is the load and the verdict of scripts/drill-multiprocess.sh:
// `drill load` drives market and limit orders through several API
// processes while the script kills and restarts processes, and records
// every order the clients saw accepted; `drill check` then reads the
// database and Temporal and says whether anything was lost or left behind.
func runDrill(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("usage: stocking drill load|check [flags]")
	}
	switch args[0] {
	case "load":
		return runDrillLoad(ctx, args[1:], out)
	case "check":
		return runDrillCheck(ctx, args[1:], out, getenv)
	}
	return fmt.Errorf("unknown drill command %q: use load or check", args[0])
}

// drillClient spreads requests over several API processes and moves on to
// the next when one does not answer, the way a load balancer would.
type drillClient struct {
	b    []*bencher
	next atomic.Uint64
}

// call sends a request to one API after another until one answers, and
// decodes the body into v when the status is one of want; a request that
// carries a client_order_id can be repeated safely.
func (d *drillClient) call(ctx context.Context, method, path, token string, body, v any, want ...int) (int, error) {
	start := int(d.next.Add(1))
	var err error
	for i := range d.b {
		var code int
		code, err = d.b[(start+i)%len(d.b)].callAny(ctx, method, path, token, body, v, want)
		if code != 0 || ctx.Err() != nil {
			return code, err
		}
	}
	return 0, err
}

func runDrillLoad(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("drill load", flag.ContinueOnError)
	apis := fs.String("apis", "http://localhost:5100", "comma-separated API base URLs")
	users := fs.Int("users", 24, "traders to sign up")
	clients := fs.Int("clients", 12, "concurrent clients")
	dur := fs.Duration("duration", time.Minute, "how long to drive orders")
	record := fs.String("record", "drill-orders.txt", "file that receives every order the API accepted (id, type)")
	codes := fs.String("stocks", "005930,000660,035420", "listings to trade")
	maxFail := fs.Duration("max-failure-latency", 0, "fail when a request that failed took longer than this (0: no bound)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d := &drillClient{}
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, u := range strings.Split(*apis, ",") {
		d.b = append(d.b, &bencher{hc: hc, base: strings.TrimRight(u, "/")})
	}
	stocks := strings.Split(*codes, ",")
	f, err := os.Create(*record)
	if err != nil {
		return err
	}
	defer f.Close()
	var recMu sync.Mutex
	rec := bufio.NewWriter(f)
	defer rec.Flush()

	run := fmt.Sprintf("%x", rand.Uint32())
	tokens := make([]string, *users)
	for i := range tokens {
		var auth struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		}
		body := map[string]any{"email": fmt.Sprintf("drill-%s-%d@drill.stocking.dev", run, i), "password": "drill-password", "nickname": fmt.Sprintf("drill%d", i)}
		if _, err := d.call(ctx, "POST", "/api/v1/auth/signup", "", body, &auth, 201); err != nil {
			return fmt.Errorf("drill setup: %w", err)
		}
		tokens[i] = auth.Data.AccessToken
	}
	fmt.Fprintf(out, "drill: %d traders, %d clients over %d APIs for %s\n", *users, *clients, len(d.b), *dur)

	type tally struct {
		accepted, rejected, unavailable, unreachable, other int
		slowestFailure                                      time.Duration
		firstOther                                          string
	}
	tallies := make([]tally, *clients)
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for c := range *clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			t := &tallies[c]
			var mine []string // this client's accepted limit orders
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				u := tokens[(c+n*(*clients))%len(tokens)]
				code := stocks[r.IntN(len(stocks))]
				body := map[string]any{"stock_code": code, "quantity": 1 + r.IntN(3), "client_order_id": fmt.Sprintf("%s-%d-%d", run, c, n)}
				kind := "MARKET"
				switch p := r.IntN(100); {
				case p < 40:
					body["side"], body["type"] = "BUY", "MARKET"
				case p < 65:
					body["side"], body["type"] = "SELL", "MARKET"
				case p < 90:
					var st struct {
						Data struct {
							Price    string `json:"price"`
							TickSize string `json:"tick_size"`
						} `json:"data"`
					}
					if status, err := d.call(ctx, "GET", "/api/v1/stocks/"+code, "", nil, &st, 200); err != nil {
						if status == 0 {
							t.unreachable++
						} else {
							t.unavailable++
						}
						time.Sleep(100 * time.Millisecond)
						continue
					}
					price, tick := mustDec(st.Data.Price), mustDec(st.Data.TickSize)
					limit := price.Sub(tick.Mul(mustDec(fmt.Sprint(r.IntN(4)))))
					kind = "LIMIT"
					body["side"], body["type"], body["limit_price"], body["time_in_force"] = "BUY", "LIMIT", limit.String(), "GTC"
				default:
					if len(mine) == 0 {
						continue
					}
					id := mine[r.IntN(len(mine))]
					_, _ = d.call(ctx, "POST", "/api/v1/orders/"+id+"/cancel", u, nil, nil, 200, 409, 404)
					continue
				}
				var resp struct {
					Data struct {
						ID     string `json:"id"`
						Status string `json:"status"`
					} `json:"data"`
				}
				t0 := time.Now()
				status, err := d.call(ctx, "POST", "/api/v1/orders", u, body, &resp, 201, 200)
				lat := time.Since(t0)
				switch {
				case err == nil:
					t.accepted++
					recMu.Lock()
					fmt.Fprintf(rec, "%s\t%s\n", resp.Data.ID, kind)
					recMu.Unlock()
					if kind == "LIMIT" && resp.Data.Status == "PENDING" {
						mine = append(mine, resp.Data.ID)
					}
					continue
				case status == 0:
					t.unreachable++
				case status == 503:
					t.unavailable++
				case status == 422 || status == 409:
					t.rejected++
				default:
					t.other++
					if t.firstOther == "" {
						t.firstOther = err.Error()
					}
				}
				t.slowestFailure = max(t.slowestFailure, lat)
				if status == 0 || status == 503 {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	var sum tally
	for _, t := range tallies {
		sum.accepted += t.accepted
		sum.rejected += t.rejected
		sum.unavailable += t.unavailable
		sum.unreachable += t.unreachable
		sum.other += t.other
		sum.slowestFailure = max(sum.slowestFailure, t.slowestFailure)
		if sum.firstOther == "" {
			sum.firstOther = t.firstOther
		}
	}
	fmt.Fprintf(out, "drill load: %d orders accepted (%.0f/s), %d rejected (422/409), %d unavailable (503), %d unreachable, %d other; slowest failed request %s\n",
		sum.accepted, float64(sum.accepted)/dur.Seconds(), sum.rejected, sum.unavailable, sum.unreachable, sum.other, sum.slowestFailure.Round(time.Millisecond))
	if sum.firstOther != "" {
		fmt.Fprintln(out, "first unexpected answer:", sum.firstOther)
	}
	if *maxFail > 0 && sum.slowestFailure > *maxFail {
		fmt.Fprintf(out, "VIOLATION a failed request took %s, more than %s\n", sum.slowestFailure.Round(time.Millisecond), *maxFail)
		return exitError(1)
	}
	if sum.other > 0 {
		return exitError(1)
	}
	return nil
}

func runDrillCheck(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("drill check", flag.ContinueOnError)
	record := fs.String("record", "drill-orders.txt", "the file `drill load` wrote")
	wait := fs.Duration("wait", 90*time.Second, "how long to wait for the outbox to empty and the workflows of final orders to close")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := openOnly(ctx, getenv, Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	if m.Temporal == nil {
		return errors.New("drill check: set TEMPORAL_ADDRESS")
	}
	data, err := os.ReadFile(*record)
	if err != nil {
		return err
	}
	type seen struct{ id, kind string }
	var orders []seen
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if id, kind, ok := strings.Cut(line, "\t"); ok {
			orders = append(orders, seen{id, kind})
		}
	}
	violations := 0
	fail := func(format string, a ...any) {
		violations++
		fmt.Fprintf(out, "VIOLATION "+format+"\n", a...)
	}

	// Lost orders: every order a client saw accepted must exist.
	lost, limits := 0, 0
	var open, final []string
	for _, o := range orders {
		got, err := m.Store.GetOrder(ctx, o.id)
		if errors.Is(err, domain.ErrNotFound) {
			lost++
			fail("order %s was accepted (201) but is not in the database", o.id)
			continue
		} else if err != nil {
			return err
		}
		if o.kind != "LIMIT" {
			continue
		}
		limits++
		if got.Status.Final() {
			final = append(final, o.id)
		} else {
			open = append(open, o.id)
		}
	}

	// The outbox empties and the workflows of final orders close.
	status := func(id string) (enumspb.WorkflowExecutionStatus, error) {
		d, err := m.Temporal.DescribeWorkflowExecution(ctx, workflows.OrderWorkflowID(id), "")
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED, nil
		}
		if err != nil {
			return 0, err
		}
		return d.WorkflowExecutionInfo.Status, nil
	}
	until := time.Now().Add(*wait)
	var size int64
	for {
		size, err = m.Store.OutboxSize(ctx)
		if err != nil {
			return err
		}
		if size == 0 || time.Now().After(until) {
			break
		}
		time.Sleep(time.Second)
	}
	if size != 0 {
		fail("%d messages still in the outbox after %s", size, *wait)
	}
	completed, withoutWorkflow := 0, 0
	for _, id := range final {
		for {
			st, err := status(id)
			if err != nil {
				return err
			}
			if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && time.Now().Before(until) {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				printHistory(ctx, out, m.Temporal, workflows.OrderWorkflowID(id))
			}
			switch st {
			case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
				completed++
			case enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED:
				withoutWorkflow++ // filled on arrival: it never rested
			default:
				fail("final order %s: its workflow is %s, not completed", id, st)
			}
			break
		}
	}
	running := 0
	for _, id := range open {
		got, err := m.Store.GetOrder(ctx, id)
		if err != nil {
			return err
		}
		st, err := status(id)
		if err != nil {
			return err
		}
		switch {
		case st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			running++
		case got.Status.Final():
			// It closed while the check ran.
		default:
			fail("open order %s has no running workflow (%s)", id, st)
		}
	}

	rep, err := m.Service.Audit.Run(ctx)
	if err != nil {
		return err
	}
	for _, v := range rep.Violations {
		fail("audit: %s", v)
	}
	wf, err := m.Reconciler.Check(ctx, false)
	if err != nil {
		return err
	}
	for _, s := range wf.Strays {
		fail("workflow: %s", s)
	}
	fmt.Fprintf(out, "drill check: %d accepted orders, %d lost; %d limit orders: %d open with a running workflow, %d final with a completed workflow, %d filled on arrival (no workflow); outbox %d; audit of %d accounts: %d violations; %d open rows and %d running workflows checked against the database: %d disagree\n",
		len(orders), lost, limits, running, completed, withoutWorkflow, size, rep.Accounts, len(rep.Violations), wf.Checked, wf.Running, len(wf.Strays))
	if violations > 0 {
		fmt.Fprintf(out, "drill check: FAILED (%d violations)\n", violations)
		return exitError(1)
	}
	fmt.Fprintln(out, "drill check: OK")
	return nil
}

func mustDec(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}

// printHistory prints the events of a workflow's current run, one line
// each, with the names of its signals, updates and activities: what an
// operator needs to see why a run is still waiting.
func printHistory(ctx context.Context, out io.Writer, c client.Client, workflowID string) {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	fmt.Fprintf(out, "history of %s:\n", workflowID)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			fmt.Fprintf(out, "  (history unreadable: %v)\n", err)
			return
		}
		detail := ""
		switch {
		case e.GetWorkflowExecutionSignaledEventAttributes() != nil:
			a := e.GetWorkflowExecutionSignaledEventAttributes()
			detail = a.GetSignalName() + " " + payloadText(a.GetInput().GetPayloads())
		case e.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
			detail = e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
		case e.GetWorkflowExecutionUpdateCompletedEventAttributes() != nil:
			detail = e.GetWorkflowExecutionUpdateCompletedEventAttributes().GetOutcome().String()
		case e.GetMarkerRecordedEventAttributes() != nil:
			a := e.GetMarkerRecordedEventAttributes()
			detail = a.GetMarkerName()
			if f := a.GetFailure(); f != nil {
				detail += " failed: " + f.GetMessage()
			}
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			detail = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case e.GetWorkflowTaskFailedEventAttributes() != nil:
			a := e.GetWorkflowTaskFailedEventAttributes()
			detail = a.GetCause().String() + " " + a.GetFailure().GetMessage()
		case e.GetWorkflowExecutionStartedEventAttributes() != nil:
			detail = payloadText(e.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads())
		}
		fmt.Fprintf(out, "  %3d %s %s %s\n", e.GetEventId(), e.GetEventTime().AsTime().Format("15:04:05.000"), e.GetEventType(), detail)
	}
}

func payloadText(ps []*commonpb.Payload) string {
	var b strings.Builder
	for _, p := range ps {
		b.Write(p.GetData())
	}
	return b.String()
}
