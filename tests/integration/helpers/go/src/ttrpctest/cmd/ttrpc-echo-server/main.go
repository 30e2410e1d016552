// SPDX-License-Identifier: Apache-2.0
// ttrpc-echo-server serves test.Echo with the containerd/ttrpc server, the reference
// peer for our client and the baseline for our server's benchmark:
//   Echo returns the request; Sleep waits sleep_ms (field 2) then echoes;
//   Fail returns PermissionDenied "denied by policy".
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"ttrpctest/raw"
)

// sleepMs reads field 2 (varint) of test.EchoMsg.
func sleepMs(b []byte) uint64 {
	for i := 0; i < len(b); {
		key := b[i]
		i++
		readVarint := func() uint64 {
			var v uint64
			for s := uint(0); i < len(b); s += 7 {
				c := b[i]
				i++
				v |= uint64(c&0x7f) << s
				if c < 0x80 {
					break
				}
			}
			return v
		}
		switch key & 7 {
		case 0:
			v := readVarint()
			if key>>3 == 2 {
				return v
			}
		case 2:
			i += int(readVarint())
		default:
			return 0
		}
	}
	return 0
}

func main() {
	sock := flag.String("sock", "", "unix socket path")
	flag.Parse()
	os.Remove(*sock)
	l, err := net.Listen("unix", *sock)
	if err != nil {
		log.Fatal(err)
	}
	s, err := ttrpc.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	echo := func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
		var m raw.Message
		if err := unmarshal(&m); err != nil {
			return nil, err
		}
		return &m, nil
	}
	s.Register("test.Echo", map[string]ttrpc.Method{
		"Echo": echo,
		"Sleep": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var m raw.Message
			if err := unmarshal(&m); err != nil {
				return nil, err
			}
			time.Sleep(time.Duration(sleepMs(m.B)) * time.Millisecond)
			return &m, nil
		},
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			return nil, status.Errorf(codes.PermissionDenied, "denied by policy")
		},
	})
	log.Fatal(s.Serve(context.Background(), l))
}
