package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// EquityPoint is one day of an account's performance history. Returns are
// time-weighted percentages: money moved in or out is not a gain.
type EquityPoint struct {
	Date             string `json:"date" example:"2026-03-02" doc:"Seoul date."`
	Cash             string `json:"cash"`
	HoldingsValue    string `json:"holdings_value"`
	Equity           string `json:"equity"`
	NetFlow          string `json:"net_flow" doc:"Deposits less withdrawals (and top-ups, resets) since the previous point."`
	DailyReturn      string `json:"daily_return" doc:"Percent, time-weighted, since the previous point."`
	CumulativeReturn string `json:"cumulative_return" doc:"Percent, time-weighted, since the start of the range."`
	Live             bool   `json:"live" doc:"Today's point, computed now from current prices."`
}

// pct renders a fraction as a percentage with four places.
func pct(f decimal.Decimal) string { return f.Mul(decimal.NewFromInt(100)).Round(4).String() }

type equityInput struct {
	AccountID      string `query:"account_id" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); the personal account when omitted."`
	From           string `query:"from" maxLength:"10" example:"2026-01-01" doc:"First Seoul date (YYYY-MM-DD); the history's start when omitted."`
	To             string `query:"to" maxLength:"10" example:"2026-12-31" doc:"Last Seoul date; today when omitted."`
	AcceptEncoding string `header:"Accept-Encoding" maxLength:"256" doc:"With gzip the page comes gzip-compressed (Content-Encoding: gzip), about an eighth of its size."`
}

type equityOutput struct {
	ContentEncoding string   `header:"Content-Encoding" doc:"gzip when the request accepted it."`
	Vary            []string `header:"Vary"`
	Body            EquityHistory
}

// EquityHistory is the equity page. Its stored days are rendered to JSON
// (and compressed, when a client asks for gzip) once per snapshot run and
// kept: years of days are hundreds of kilobytes of decimal text, which
// would otherwise be formatted on every read.
type EquityHistory struct {
	Data       []EquityPoint `json:"data" nullable:"false"`
	NextCursor *string       `json:"next_cursor" doc:"Always null: the range is one page."`
	// rendered, when set, is the body as JSON in pieces, written one
	// after the other instead of encoding the fields (see jsonFormat);
	// or, when gzipped, the pieces of its gzip stream.
	rendered [][]byte
	gzipped  bool
}

func (h EquityHistory) prerendered() [][]byte { return h.rendered }

func equityPoint(r service.EquityRow) EquityPoint {
	return EquityPoint{Date: r.Date, Cash: money(r.Cash), HoldingsValue: money(r.HoldingsValue), Equity: money(r.Equity),
		NetFlow: money(r.NetFlow), DailyReturn: pct(r.DailyReturn), CumulativeReturn: pct(r.CumulativeReturn), Live: r.Live}
}

// renderedDays keeps the JSON of stored days by the key of their series.
type renderedDays struct {
	sync.Mutex
	m map[string]*keptDays
}

// keptDays is a series' stored days as JSON (each point as Huma's JSON
// format renders it, comma-separated) and, once a client has asked for
// gzip, the page's opening and those days compressed.
type keptDays struct {
	json []byte
	once sync.Once
	gz   gzipHead
}

// maxRenderedDays bounds renderedDays; when full it starts over.
const maxRenderedDays = 1024

// equityOpening is what every equity page starts with.
const equityOpening = `{"data":[`

// equityBody renders an equity series as the body encoding/json would
// write for EquityHistory: the days from the cache, then the live point;
// gzip-compressed when gz is set, the kept days compressed only once.
func (c *renderedDays) equityBody(e service.EquitySeries, gz bool) (EquityHistory, error) {
	c.Lock()
	kept := c.m[e.Key]
	c.Unlock()
	if kept == nil || e.Key == "" {
		var b bytes.Buffer
		for i, r := range e.Days {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(&b, equityPoint(r)); err != nil {
				return EquityHistory{}, err
			}
		}
		kept = &keptDays{json: b.Bytes()}
		if e.Key != "" {
			c.Lock()
			if len(c.m) >= maxRenderedDays {
				clear(c.m)
			}
			c.m[e.Key] = kept
			c.Unlock()
		}
	}
	var tail bytes.Buffer
	if e.Live != nil {
		if len(kept.json) > 0 {
			tail.WriteByte(',')
		}
		if err := encodeJSON(&tail, equityPoint(*e.Live)); err != nil {
			return EquityHistory{}, err
		}
	}
	tail.WriteString("],\"next_cursor\":null}\n")
	if gz {
		kept.once.Do(func() { kept.gz = compressHead([]byte(equityOpening), kept.json) })
		return EquityHistory{rendered: kept.gz.finish(tail.Bytes()), gzipped: true}, nil
	}
	// The days are written as kept, not copied into the body: the body is
	// three pieces, the opening, the days and the rest.
	return EquityHistory{rendered: [][]byte{[]byte(equityOpening), kept.json, tail.Bytes()}}, nil
}

// encodeJSON appends v as Huma's JSON format encodes it, without the
// newline.
func encodeJSON(b *bytes.Buffer, v any) error {
	if err := huma.DefaultJSONFormat.Marshal(b, v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// Ranking is one line of a leaderboard.
type Ranking struct {
	Rank       int    `json:"rank"`
	Nickname   string `json:"nickname"`
	ReturnRate string `json:"return_rate" doc:"Percent, time-weighted over the period."`
	Equity     string `json:"equity"`
	Trades     int64  `json:"trades"`
}

// Board is a leaderboard with the time it was computed. A computed board
// is rendered to JSON once and kept until a refresh restamps it.
type Board struct {
	Data       []Ranking  `json:"data" nullable:"false"`
	NextCursor *string    `json:"next_cursor" doc:"Always null: a board is read in one page of up to limit lines."`
	AsOf       *time.Time `json:"as_of" doc:"When the board was computed; null before its first refresh."`
	Final      bool       `json:"final" doc:"A contest's frozen final ranking."`
	// rendered, when set, is the body as JSON (see jsonFormat).
	rendered [][]byte
}

func (b Board) prerendered() [][]byte { return b.rendered }

func boardDTO(lb domain.Leaderboard, final bool) Board {
	b := Board{Data: make([]Ranking, len(lb.Entries)), AsOf: nullTime(lb.AsOf), Final: final}
	for i, r := range lb.Entries {
		b.Data[i] = Ranking{Rank: r.Rank, Nickname: r.Nickname, ReturnRate: r.ReturnRate.Round(2).String(), Equity: money(r.Equity), Trades: r.Trades}
	}
	return b
}

// renderedBoards keeps computed boards as JSON. The lines of a board are
// named by its contest, period and time, and by how many were read; the
// decimals of each line cost more to format than the board costs to find.
type renderedBoards struct {
	sync.Mutex
	m map[boardRender][]byte
}

type boardRender struct {
	contestID, period string
	asOf              int64
	lines             int
	final             bool
}

// maxRenderedBoards bounds renderedBoards; when full it starts over.
const maxRenderedBoards = 1024

// body renders lb as the body encoding/json would write for its Board,
// from the cache when the same lines were rendered before. A board never
// computed (no time) is encoded as usual.
func (c *renderedBoards) body(lb domain.Leaderboard, final bool) (Board, error) {
	if lb.AsOf.IsZero() {
		return boardDTO(lb, final), nil
	}
	key := boardRender{lb.ContestID, lb.Period, lb.AsOf.UnixNano(), len(lb.Entries), final}
	c.Lock()
	b, ok := c.m[key]
	c.Unlock()
	if !ok {
		var buf bytes.Buffer
		if err := huma.DefaultJSONFormat.Marshal(&buf, boardDTO(lb, final)); err != nil {
			return Board{}, err
		}
		b = buf.Bytes()
		c.Lock()
		if len(c.m) >= maxRenderedBoards {
			clear(c.m)
		}
		c.m[key] = b
		c.Unlock()
	}
	return Board{rendered: [][]byte{b}}, nil
}

type leaderboardInput struct {
	Period string `query:"period" enum:"1d,1w,1m,all" default:"1d" doc:"How far back returns are measured."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

type boardOutput struct {
	Body Board
}

// Contest is a league.
type Contest struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	InitialCash string     `json:"initial_cash"`
	Listings    []string   `json:"listings" nullable:"false" doc:"The only listings its accounts may trade; empty for any."`
	Status      string     `json:"status" enum:"SCHEDULED,RUNNING,ENDED"`
	Final       bool       `json:"final" doc:"The final ranking is frozen."`
	FinalAt     *time.Time `json:"final_at"`
}

func contestDTO(c domain.Contest, now time.Time) Contest {
	out := Contest{
		ID: c.ID, Name: c.Name, StartsAt: c.StartsAt.UTC(), EndsAt: c.EndsAt.UTC(), InitialCash: money(c.InitialCash),
		Listings: c.Listings, Status: string(c.StatusAt(now)), Final: !c.FinalAt.IsZero(), FinalAt: nullTime(c.FinalAt),
	}
	if out.Listings == nil {
		out.Listings = []string{}
	}
	if out.Final {
		out.Status = string(domain.ContestEnded)
	}
	return out
}

type createContestInput struct {
	Body struct {
		Name        string    `json:"name" maxLength:"80" example:"봄 리그"`
		StartsAt    time.Time `json:"starts_at"`
		EndsAt      time.Time `json:"ends_at"`
		InitialCash string    `json:"initial_cash" example:"10000000"`
		Listings    []string  `json:"listings,omitempty" maxItems:"200" doc:"Restrict trading to these codes."`
	}
}

type contestOutput struct {
	Body Envelope[Contest]
}

type contestsOutput struct {
	Body Page[Contest]
}

type contestIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type contestBoardInput struct {
	ID    string `path:"id" maxLength:"64"`
	Limit int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// Joined is the contest account a join opened (or had opened).
type Joined struct {
	AccountID   string `json:"account_id"`
	ContestID   string `json:"contest_id"`
	Cash        string `json:"cash"`
	InitialCash string `json:"initial_cash"`
}

type joinOutput struct {
	Status int
	Body   Envelope[Joined]
}

type publicInput struct {
	Body struct {
		Public *bool `json:"public,omitempty" doc:"Show the nickname on leaderboards."`
	}
}

type resetInput struct {
	Body struct {
		AccountID string `json:"account_id,omitempty" maxLength:"64" doc:"One of the caller's accounts; the personal account when omitted. Contest accounts cannot be reset."`
	}
}

type grantInput struct {
	ID   string `path:"id" maxLength:"64" doc:"An account id (a user's personal account has the user's id)."`
	Body struct {
		Amount string `json:"amount" example:"100000000"`
	}
}

// Granted is an account's cash after an operator's deposit.
type Granted struct {
	AccountID string `json:"account_id"`
	Cash      string `json:"cash"`
}

type grantOutput struct {
	Body Envelope[Granted]
}

// Refreshed says what a leaderboard refresh ranked.
type Refreshed struct {
	AsOf     time.Time        `json:"as_of"`
	Ranked   map[string]int64 `json:"ranked" doc:"Accounts ranked per period."`
	Contests int              `json:"contests" doc:"Running contests re-ranked."`
}

type refreshedOutput struct {
	Body Envelope[Refreshed]
}

func (s *server) registerContests(api huma.API) {
	register(api, signedIn, huma.Operation{
		OperationID: "get-equity", Method: http.MethodGet, Path: "/analytics/equity", Tags: []string{"analytics"},
		Summary: "Equity history: end-of-day snapshots and a live point for today",
		Description: "Returns are time-weighted: deposits, withdrawals, paid top-ups and resets are not gains; dividends are. " +
			"A reset restarts the history.",
	}, func(ctx context.Context, in *equityInput) (*equityOutput, error) {
		e, err := s.svc.Accounts.EquitySeries(ctx, target(ctx, in.AccountID), in.From, in.To)
		if err != nil {
			return nil, err
		}
		body, err := s.days.equityBody(e, acceptsGzip(in.AcceptEncoding))
		if err != nil {
			return nil, err
		}
		out := &equityOutput{Vary: []string{"Accept-Encoding"}, Body: body}
		if body.gzipped {
			out.ContentEncoding = "gzip"
		}
		return out, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-leaderboard", Method: http.MethodGet, Path: "/leaderboards", Tags: []string{"leaderboards"},
		Summary: "Traders ranked by time-weighted return over a period",
		Description: "Public users' personal accounts with at least one trade, as of the last refresh (as_of). " +
			"A user hides with PATCH /users/me {\"public\": false}.",
	}, func(ctx context.Context, in *leaderboardInput) (*boardOutput, error) {
		lb, err := s.svc.Leaderboards.Get(ctx, in.Period, in.Limit)
		if err != nil {
			return nil, err
		}
		body, err := s.boards.body(lb, false)
		if err != nil {
			return nil, err
		}
		return &boardOutput{Body: body}, nil
	})

	register(api, adminOnly, huma.Operation{
		OperationID: "refresh-leaderboards", Method: http.MethodPost, Path: "/admin/leaderboards/refresh", Tags: []string{"admin"},
		Summary: "Recompute every leaderboard now",
	}, func(ctx context.Context, _ *struct{}) (*refreshedOutput, error) {
		res, err := s.svc.Leaderboards.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		return &refreshedOutput{Body: Envelope[Refreshed]{Refreshed{AsOf: res.AsOf, Ranked: res.Ranked, Contests: res.Contests}}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "update-me", Method: http.MethodPatch, Path: "/users/me", Tags: []string{"users"},
		Summary: "Change the caller's profile settings",
	}, func(ctx context.Context, in *publicInput) (*userOutput, error) {
		uid := userID(ctx)
		u, err := s.svc.Users.Me(ctx, uid)
		if err != nil {
			return nil, err
		}
		if in.Body.Public != nil {
			if u, err = s.svc.Users.SetPublic(ctx, uid, *in.Body.Public); err != nil {
				return nil, err
			}
		}
		return &userOutput{Body: Envelope[User]{userDTO(u, s.svc.Now())}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "reset-balance", Method: http.MethodPost, Path: "/balance/reset", Tags: []string{"balance"},
		Summary: "Start over: back to the initial cash",
		Description: "Cancels the open orders, clears the holdings, books a RESET ledger row that brings cash to INITIAL_CASH, " +
			"and restarts the performance history. Contest accounts cannot be reset (409).",
	}, func(ctx context.Context, in *resetInput) (*balanceOutput, error) {
		t := target(ctx, in.Body.AccountID)
		if _, err := s.svc.Accounts.Reset(ctx, t); err != nil {
			return nil, err
		}
		b, err := s.svc.Accounts.Balance(ctx, t)
		if err != nil {
			return nil, err
		}
		return &balanceOutput{Body: Envelope[Balance]{balanceDTO(b)}}, nil
	})

	register(api, adminOnly, huma.Operation{
		OperationID: "grant-cash", Method: http.MethodPost, Path: "/admin/accounts/{id}/deposit", Tags: []string{"admin"},
		Summary:     "Deposit cash into any account, without the daily limit on free deposits",
		Description: "For operators and load tests. Contest accounts refuse it (409).",
	}, func(ctx context.Context, in *grantInput) (*grantOutput, error) {
		amount, err := domain.ParseMoney("amount", in.Body.Amount)
		if err != nil {
			return nil, err
		}
		a, err := s.svc.Accounts.Grant(ctx, in.ID, amount)
		if err != nil {
			return nil, err
		}
		return &grantOutput{Body: Envelope[Granted]{Granted{AccountID: a.ID, Cash: money(a.Cash)}}}, nil
	})

	register(api, adminOnly, huma.Operation{
		OperationID: "create-contest", Method: http.MethodPost, Path: "/contests", Tags: []string{"contests"},
		Summary: "Create a contest", DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createContestInput) (*contestOutput, error) {
		b := in.Body
		cash, err := domain.ParseMoney("initial_cash", b.InitialCash)
		if err != nil {
			return nil, err
		}
		c, err := s.svc.Contests.Create(ctx, service.ContestInput{Name: b.Name, StartsAt: b.StartsAt, EndsAt: b.EndsAt, InitialCash: cash, Listings: b.Listings})
		if err != nil {
			return nil, err
		}
		return &contestOutput{Body: Envelope[Contest]{contestDTO(c, s.svc.Now())}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "list-contests", Method: http.MethodGet, Path: "/contests", Tags: []string{"contests"},
		Summary: "Contests, the latest to end first",
	}, func(ctx context.Context, _ *struct{}) (*contestsOutput, error) {
		cs, err := s.svc.Contests.List(ctx, 100)
		if err != nil {
			return nil, err
		}
		now := s.svc.Now()
		out := make([]Contest, len(cs))
		for i, c := range cs {
			out[i] = contestDTO(c, now)
		}
		return &contestsOutput{Body: Page[Contest]{Data: out}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-contest", Method: http.MethodGet, Path: "/contests/{id}", Tags: []string{"contests"},
		Summary: "One contest",
	}, func(ctx context.Context, in *contestIDInput) (*contestOutput, error) {
		c, err := s.svc.Contests.Get(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &contestOutput{Body: Envelope[Contest]{contestDTO(c, s.svc.Now())}}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-contest-leaderboard", Method: http.MethodGet, Path: "/contests/{id}/leaderboard", Tags: []string{"contests"},
		Summary: "A contest's ranking by equity; final once the contest ended",
	}, func(ctx context.Context, in *contestBoardInput) (*boardOutput, error) {
		lb, c, err := s.svc.Contests.Leaderboard(ctx, in.ID, in.Limit)
		if err != nil {
			return nil, err
		}
		body, err := s.boards.body(lb, !c.FinalAt.IsZero())
		if err != nil {
			return nil, err
		}
		return &boardOutput{Body: body}, nil
	})

	register(api, signedIn, huma.Operation{
		OperationID: "join-contest", Method: http.MethodPost, Path: "/contests/{id}/join", Tags: []string{"contests"},
		Summary:     "Join a contest: a contest account funded with its initial cash",
		Description: "201 with the new account; 200 with the same account when already joined; 409 after the end.",
	}, func(ctx context.Context, in *contestIDInput) (*joinOutput, error) {
		res, err := s.svc.Contests.Join(ctx, userID(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		c, err := s.svc.Contests.Get(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		status := http.StatusOK
		if res.Created {
			status = http.StatusCreated
		}
		return &joinOutput{Status: status, Body: Envelope[Joined]{Joined{
			AccountID: res.Account.ID, ContestID: c.ID, Cash: money(res.Account.Cash), InitialCash: money(c.InitialCash),
		}}}, nil
	})
}
