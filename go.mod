module github.com/tbgo/tbgo

go 1.25

tool google.golang.org/protobuf/cmd/protoc-gen-go

require google.golang.org/protobuf v1.36.12

require gonum.org/v1/gonum v0.17.0 // indirect
