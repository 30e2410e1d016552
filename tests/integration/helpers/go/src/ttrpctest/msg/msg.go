// SPDX-License-Identifier: Apache-2.0

// Package msg holds the messages the interop helpers exchange: Raw passes payload bytes
// through the ttrpc codec untouched, and the test.Echo messages (../../../test.proto) are
// plain structs with protobuf tags, which gogo/protobuf marshals by reflection, so no
// code generator is needed.
package msg

import (
	"encoding/hex"

	"github.com/gogo/protobuf/proto"
)

// Raw is a proto.Message whose wire form is exactly B.
type Raw struct{ B []byte }

func (r *Raw) Reset()                   { r.B = nil }
func (r *Raw) String() string           { return hex.EncodeToString(r.B) }
func (r *Raw) ProtoMessage()            {}
func (r *Raw) Marshal() ([]byte, error) { return r.B, nil }
func (r *Raw) Unmarshal(b []byte) error { r.B = append([]byte(nil), b...); return nil }

// EchoRequest and EchoResponse share their layout: the echo server returns the bytes.
type EchoRequest struct {
	Data []byte `protobuf:"bytes,1,opt,name=data,proto3"`
}

func (m *EchoRequest) Reset()         { *m = EchoRequest{} }
func (m *EchoRequest) String() string { return proto.CompactTextString(m) }
func (*EchoRequest) ProtoMessage()    {}

type FailRequest struct {
	Code    int32  `protobuf:"varint,1,opt,name=code,proto3"`
	Message string `protobuf:"bytes,2,opt,name=message,proto3"`
}

func (m *FailRequest) Reset()         { *m = FailRequest{} }
func (m *FailRequest) String() string { return proto.CompactTextString(m) }
func (*FailRequest) ProtoMessage()    {}

type SleepRequest struct {
	Msec uint64 `protobuf:"varint,1,opt,name=msec,proto3"`
}

func (m *SleepRequest) Reset()         { *m = SleepRequest{} }
func (m *SleepRequest) String() string { return proto.CompactTextString(m) }
func (*SleepRequest) ProtoMessage()    {}

// Empty is FailResponse, SleepResponse and Empty of test.proto.
type Empty struct{}

func (m *Empty) Reset()         { *m = Empty{} }
func (m *Empty) String() string { return "{}" }
func (*Empty) ProtoMessage()    {}

// Encode marshals m, panicking on failure (only test inputs go through it).
func Encode(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}
