// SPDX-License-Identifier: Apache-2.0

// ttrpc-echo-server serves test.Echo (../../../../test.proto) with the real Go ttrpc
// library: Echo returns its request bytes, Fail answers the status it is asked for, Sleep
// waits (giving up at the call's deadline). The interop tests and bench/ttrpc.sh use it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"ttrpctest/msg"
)

func main() {
	sock := flag.String("sock", "", "UNIX socket path to serve on")
	flag.Parse()
	if *sock == "" {
		fmt.Fprintln(os.Stderr, "usage: ttrpc-echo-server -sock PATH")
		os.Exit(2)
	}

	s, err := ttrpc.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s.Register("test.Echo", map[string]ttrpc.Method{
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var r msg.Raw
			if err := unmarshal(&r); err != nil {
				return nil, err
			}
			return &r, nil
		},
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var r msg.FailRequest
			if err := unmarshal(&r); err != nil {
				return nil, err
			}
			return nil, status.Error(codes.Code(r.Code), r.Message)
		},
		"Sleep": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var r msg.SleepRequest
			if err := unmarshal(&r); err != nil {
				return nil, err
			}
			select {
			case <-time.After(time.Duration(r.Msec) * time.Millisecond):
				return &msg.Empty{}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
	})

	_ = os.Remove(*sock)
	l, err := net.Listen("unix", *sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		s.Close()
	}()
	if err := s.Serve(context.Background(), l); err != nil && err != ttrpc.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Remove(*sock)
}
