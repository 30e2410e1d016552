// SPDX-License-Identifier: Apache-2.0
// ttrpc-call drives a ttrpc server with the containerd/ttrpc client.
//   one call:   ttrpc-call -sock S -service X -method M [-req-hex H] [-timeout D]
//               prints the response as hex, or "status <Code> <message>" and exits 1.
//   parallel:   -n N runs N identical calls in flight on ONE connection; each response
//               must equal -expect-hex (default: the request), prints "ok N".
//   benchmark:  -bench D -workers W: W goroutines share one connection for D, then
//               prints "rps=<calls/s> p50_us=<..> p99_us=<..>".
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/status"
	"ttrpctest/raw"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(2)
}

// echoMsg encodes test.EchoMsg{payload = 1 (bytes), sleep_ms = 2 (uint32)}.
func echoMsg(payload []byte, sleepMs uint64) []byte {
	var b bytes.Buffer
	b.WriteByte(0x0a)
	putVarint(&b, uint64(len(payload)))
	b.Write(payload)
	if sleepMs > 0 {
		b.WriteByte(0x10)
		putVarint(&b, sleepMs)
	}
	return b.Bytes()
}

func putVarint(b *bytes.Buffer, v uint64) {
	for v >= 0x80 {
		b.WriteByte(byte(v) | 0x80)
		v >>= 7
	}
	b.WriteByte(byte(v))
}

func main() {
	sock := flag.String("sock", "", "unix socket path")
	svc := flag.String("service", "test.Echo", "service")
	meth := flag.String("method", "Echo", "method")
	reqHex := flag.String("req-hex", "", "request bytes, hex")
	size := flag.Int("payload-size", -1, "send test.EchoMsg with this many random payload bytes")
	sleepMs := flag.Uint64("sleep-ms", 0, "sleep_ms field of test.EchoMsg")
	expectHex := flag.String("expect-hex", "", "expected response (parallel mode), hex")
	timeout := flag.Duration("timeout", 10*time.Second, "per-call deadline")
	n := flag.Int("n", 1, "calls in flight on one connection")
	bench := flag.Duration("bench", 0, "benchmark duration")
	workers := flag.Int("workers", 16, "benchmark goroutines")
	flag.Parse()

	req, err := hex.DecodeString(*reqHex)
	if err != nil {
		fail("bad -req-hex: %v", err)
	}
	if *size >= 0 {
		p := make([]byte, *size)
		rand.Read(p)
		req = echoMsg(p, *sleepMs)
	}
	conn, err := net.Dial("unix", *sock)
	if err != nil {
		fail("dial: %v", err)
	}
	c := ttrpc.NewClient(conn)
	defer c.Close()

	call := func() ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		var resp raw.Message
		err := c.Call(ctx, *svc, *meth, &raw.Message{B: req}, &resp)
		return resp.B, err
	}

	if *bench > 0 {
		runBench(call, *bench, *workers)
		return
	}
	if *n == 1 {
		resp, err := call()
		if err != nil {
			if s, ok := status.FromError(err); ok {
				fmt.Printf("status %s %s\n", s.Code(), s.Message())
			} else {
				fmt.Printf("error %v\n", err)
			}
			os.Exit(1)
		}
		fmt.Println(hex.EncodeToString(resp))
		return
	}
	want := req
	if *expectHex != "" {
		want, _ = hex.DecodeString(*expectHex)
	}
	var wg sync.WaitGroup
	errs := make(chan error, *n)
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := call()
			if err == nil && !bytes.Equal(resp, want) {
				err = fmt.Errorf("response differs (%d bytes)", len(resp))
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		fmt.Printf("error %v\n", e)
		os.Exit(1)
	}
	fmt.Printf("ok %d\n", *n)
}

func runBench(call func() ([]byte, error), d time.Duration, workers int) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<16)
			for time.Now().Before(end) {
				t := time.Now()
				if _, err := call(); err != nil {
					fail("bench call: %v", err)
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) int64 { return lat[int(p*float64(len(lat)-1))].Microseconds() }
	fmt.Printf("rps=%.0f p50_us=%d p99_us=%d calls=%d\n", float64(len(lat))/el.Seconds(),
		pct(0.50), pct(0.99), len(lat))
}
