// Stand-ins of our own for the AGPL backends the data path ends at (no Tempo or Loki code is required here),
// and an OTLP gRPC sender for the scenarios. Built on the collector's pdata (Apache-2.0), at the release the
// gateway runs, so the wire format is the one the collector itself speaks.
module grafana-stack-e2e/standins

go 1.25.0

require (
	go.opentelemetry.io/collector/pdata v1.65.0
	google.golang.org/grpc v1.83.0
)

require (
	github.com/hashicorp/go-version v1.9.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	go.opentelemetry.io/collector/featuregate v1.65.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	golang.org/x/net v0.55.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.40.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260526163538-3dc84a4a5aaa // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
