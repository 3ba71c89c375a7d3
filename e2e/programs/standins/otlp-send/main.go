// otlp-send: sends OTLP/JSON trace files (one ExportTraceServiceRequest per file) to an OTLP gRPC endpoint,
// plaintext, one Export call per file, and fails on the first error. The scenarios generate the traces (seeded)
// in TypeScript; this program only speaks gRPC for them.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	endpoint := flag.String("endpoint", "", "host:port of the OTLP gRPC receiver")
	flag.Parse()
	if *endpoint == "" || flag.NArg() == 0 {
		log.Fatal("usage: otlp-send -endpoint host:port file.json...")
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	for _, f := range flag.Args() {
		body, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalJSON(body); err != nil {
			log.Fatalf("%s: %v", f, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = client.Export(ctx, req)
		cancel()
		if err != nil {
			log.Fatalf("%s: export: %v", f, err)
		}
	}
}
