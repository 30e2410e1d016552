// SPDX-License-Identifier: Apache-2.0
// Package raw is a gogo proto.Message whose wire form is the bytes it holds, so the
// real ttrpc library can carry hand-encoded protobuf without generated code.
package raw

import "encoding/hex"

type Message struct{ B []byte }

func (m *Message) Reset()                   { m.B = nil }
func (m *Message) String() string           { return hex.EncodeToString(m.B) }
func (m *Message) ProtoMessage()            {}
func (m *Message) Marshal() ([]byte, error) { return append([]byte(nil), m.B...), nil }
func (m *Message) Unmarshal(b []byte) error { m.B = append([]byte(nil), b...); return nil }
