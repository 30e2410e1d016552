// SPDX-License-Identifier: Apache-2.0

// ttrpc-call is a generic ttrpc client built on the real Go library: it sends raw or
// test.Echo requests, alone or as a load of many calls in flight on ONE connection, and
// prints the reply (hex), the status ("status <code> <message>") or load statistics.
// Exit status: 0 success, 1 an RPC status or a wrong reply, 2 a transport or usage error.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/status"

	"ttrpctest/msg"
)

var (
	sock          = flag.String("sock", "", "UNIX socket path")
	service       = flag.String("service", "test.Echo", "service name")
	method        = flag.String("method", "Echo", "method name (default Fail with -fail, Sleep with -sleep)")
	reqHex        = flag.String("req-hex", "", "raw request payload, hex")
	echoSize      = flag.Int("echo-size", -1, "send EchoRequest{data} of this many bytes and check the echo")
	frameSize     = flag.Int("frame-size", -1, "like -echo-size, sized so the Request frame body is exactly this long")
	failArg       = flag.String("fail", "", "send FailRequest CODE:MESSAGE")
	sleepMs       = flag.Int("sleep", -1, "send SleepRequest{msec}")
	timeout       = flag.Duration("timeout", 0, "client deadline (Go sends it as timeout_nano)")
	serverTimeout = flag.Duration("server-timeout", 0, "timeout_nano to send; the local deadline is 5 s later")
	calls         = flag.Int("n", 1, "number of calls")
	conc          = flag.Int("c", 1, "calls in flight at once, all on one connection")
	duration      = flag.Duration("duration", 0, "run the load for this long instead of -n calls")
	slowMs        = flag.Int("slow-ms", 0, "first start a Sleep call of this many ms on the same connection; the load must finish before it")
	thenEcho      = flag.Bool("then-echo", false, "afterwards, check an Echo call on the same connection")
	stats         = flag.Bool("stats", false, "print calls, rate and p50/p99 latency")
)

func fail(code int, format string, a ...interface{}) {
	fmt.Printf(format+"\n", a...)
	os.Exit(code)
}

// payload builds the request for call i; want is the expected reply (nil: not checked).
func payload(i int) (req, want []byte) {
	size := *echoSize
	if *frameSize >= 0 {
		size = echoSizeForFrame(*frameSize)
	}
	switch {
	case size >= 0:
		d := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		if size >= 8 {
			binary.BigEndian.PutUint64(d, uint64(i))
		}
		b := msg.Encode(&msg.EchoRequest{Data: d})
		return b, b
	case *failArg != "":
		var code int32
		var text string
		if n, _ := fmt.Sscanf(*failArg, "%d:", &code); n != 1 {
			fail(2, "error: -fail wants CODE:MESSAGE")
		}
		if k := bytes.IndexByte([]byte(*failArg), ':'); k >= 0 {
			text = (*failArg)[k+1:]
		}
		return msg.Encode(&msg.FailRequest{Code: code, Message: text}), nil
	case *sleepMs >= 0:
		return msg.Encode(&msg.SleepRequest{Msec: uint64(*sleepMs)}), nil
	default:
		b, err := hex.DecodeString(*reqHex)
		if err != nil {
			fail(2, "error: -req-hex: %v", err)
		}
		return b, nil
	}
}

func varintLen(v int) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func field(n int) int { return 1 + varintLen(n) + n }

// echoSizeForFrame finds the data length whose Request body (service, method, payload,
// no deadline) is exactly frame bytes long.
func echoSizeForFrame(frame int) int {
	fixed := field(len(*service)) + field(len(*method))
	for d := frame - fixed; d >= 0; d-- {
		if fixed+field(field(d)) == frame {
			return d
		}
	}
	fail(2, "error: no echo size gives a %d-byte frame", frame)
	return 0
}

func newClient() *ttrpc.Client {
	conn, err := net.Dial("unix", *sock)
	if err != nil {
		fail(2, "error: %v", err)
	}
	var opts []ttrpc.ClientOpts
	if *serverTimeout > 0 {
		// Decouple the deadline the server sees from ours, to observe the server's
		// DEADLINE_EXCEEDED rather than our own context expiring.
		opts = append(opts, ttrpc.WithUnaryClientInterceptor(
			func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response,
				_ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
				req.TimeoutNano = serverTimeout.Nanoseconds()
				return invoker(ctx, req, resp)
			}))
	}
	return ttrpc.NewClient(conn, opts...)
}

func call(c *ttrpc.Client, meth string, req []byte) ([]byte, error) {
	ctx := context.Background()
	var cancel context.CancelFunc
	switch {
	case *timeout > 0:
		ctx, cancel = context.WithTimeout(ctx, *timeout)
	case *serverTimeout > 0:
		ctx, cancel = context.WithTimeout(ctx, *serverTimeout+5*time.Second)
	}
	if cancel != nil {
		defer cancel()
	}
	var resp msg.Raw
	err := c.Call(ctx, *service, meth, &msg.Raw{B: req}, &resp)
	return resp.B, err
}

func describe(err error) (int, string) {
	if st, ok := status.FromError(err); ok {
		return 1, fmt.Sprintf("status %d %s", st.Code(), st.Message())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return 1, "error: local deadline exceeded"
	}
	return 2, "error: " + err.Error()
}

func main() {
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["method"] && *failArg != "" {
		*method = "Fail"
	} else if !set["method"] && *sleepMs >= 0 {
		*method = "Sleep"
	}
	if *sock == "" || *conc < 1 || *calls < 1 {
		fail(2, "usage: ttrpc-call -sock PATH [options]")
	}
	if *frameSize >= 0 && *timeout > 0 {
		fail(2, "error: -frame-size counts no deadline field")
	}
	c := newClient()
	defer c.Close()

	var slowRunning int32
	slowDone := make(chan error, 1)
	if *slowMs > 0 {
		atomic.StoreInt32(&slowRunning, 1)
		go func() {
			_, err := call(c, "Sleep", msg.Encode(&msg.SleepRequest{Msec: uint64(*slowMs)}))
			atomic.StoreInt32(&slowRunning, 0)
			slowDone <- err
		}()
		time.Sleep(20 * time.Millisecond)
	}

	// The outcome of the main call is printed at once, but -slow-ms and -then-echo still
	// run after a failed call: they check the connection survived it.
	rc := 0
	load := *calls > 1 || *conc > 1 || *duration > 0 || *stats
	if !load {
		req, want := payload(0)
		resp, err := call(c, *method, req)
		switch {
		case err != nil:
			code, text := describe(err)
			fmt.Println(text)
			rc = code
		case want != nil && !bytes.Equal(resp, want):
			fmt.Printf("error: wrong echo (%d bytes, want %d)\n", len(resp), len(want))
			rc = 1
		case len(resp) > 64:
			fmt.Printf("%d bytes ok\n", len(resp))
		default:
			fmt.Println(hex.EncodeToString(resp))
		}
	} else {
		runLoad(c)
	}

	if *slowMs > 0 {
		if atomic.LoadInt32(&slowRunning) == 0 {
			fail(1, "error: the load waited for the slow call")
		}
		if err := <-slowDone; err != nil {
			code, text := describe(err)
			fail(code, "slow call: %s", text)
		}
		fmt.Println("slow call finished after the load")
	}
	if *thenEcho {
		b := msg.Encode(&msg.EchoRequest{Data: []byte("then-echo")})
		resp, err := call(c, "Echo", b)
		if err != nil {
			code, text := describe(err)
			fail(code, "then-echo: %s", text)
		}
		if !bytes.Equal(resp, b) {
			fail(1, "error: then-echo: wrong echo")
		}
		fmt.Println("then-echo ok")
	}
	os.Exit(rc)
}

func runLoad(c *ttrpc.Client) {
	var (
		next     int64 = -1
		firstErr atomic.Value
		wg       sync.WaitGroup
		lat      = make([][]time.Duration, *conc)
		stop     = time.Now().Add(*duration)
	)
	// Requests are built before the clock starts.
	type pre struct{ req, want []byte }
	n := *calls
	if *duration > 0 {
		n = 1 << 16
	}
	reqs := make([]pre, n)
	for i := range reqs {
		reqs[i].req, reqs[i].want = payload(i)
	}

	start := time.Now()
	for g := 0; g < *conc; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if *duration > 0 {
					if time.Now().After(stop) {
						return
					}
				} else if i >= *calls {
					return
				}
				p := reqs[i%n]
				t0 := time.Now()
				resp, err := call(c, *method, p.req)
				lat[g] = append(lat[g], time.Since(t0))
				if err == nil && p.want != nil && !bytes.Equal(resp, p.want) {
					err = fmt.Errorf("call %d: wrong echo", i)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(start)

	if err, _ := firstErr.Load().(error); err != nil {
		code, text := describe(err)
		fail(code, "%s", text)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if *stats {
		pct := func(p float64) int64 { return all[int(p*float64(len(all)-1))].Microseconds() }
		fmt.Printf("calls=%d seconds=%.3f rps=%.0f p50_us=%d p99_us=%d\n", len(all),
			elapsed.Seconds(), float64(len(all))/elapsed.Seconds(), pct(0.50), pct(0.99))
	} else {
		fmt.Printf("%d calls ok\n", len(all))
	}
}
