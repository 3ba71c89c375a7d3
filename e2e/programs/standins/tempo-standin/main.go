// tempo-standin: receives OTLP traces over gRPC (and HTTP protobuf/JSON) the way Tempo's distributor does and
// records every span it accepts, so a scenario can count what the sampling tier exported.
//
// Flags: -grpc host:port, -http host:port (optional), -tls-cert/-tls-key (files re-read on every handshake, so
// replacing them on disk takes effect for the next connection, like a renewed cert-manager Secret),
// -query host:port (Tempo's HTTP port: GET /ready, GET /api/traces/<hex id> answering the trace as OTLP/JSON,
// 404 when unknown; TLS like the gRPC port), -admin host:port: GET /spans returns one JSON object per line {trace_id, span_id, name, service, sampler}
// (sampler = the remote address of the exporting connection), GET /ready answers 200.
package main

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	// The collector's otlp exporter compresses with gzip by default (configgrpc); Tempo's distributor, built on
	// the collector's OTLP receiver, accepts it, so the stand-in registers the same decompressor.
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/peer"
)

type span struct {
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Name    string `json:"name"`
	Service string `json:"service"`
	Peer    string `json:"peer"`
	Via     string `json:"via"`
}

type store struct {
	mu     sync.Mutex
	spans  []span
	traces map[string]ptrace.Traces
}

func (s *store) add(td ptrace.Traces, peerAddr, via string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = v.AsString()
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				tid := sp.TraceID()
				sid := sp.SpanID()
				id := hex.EncodeToString(tid[:])
				s.spans = append(s.spans, span{id, hex.EncodeToString(sid[:]), sp.Name(), svc, peerAddr, via})
				t, ok := s.traces[id]
				if !ok {
					t = ptrace.NewTraces()
					s.traces[id] = t
				}
				nrs := t.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(nrs.Resource())
				sp.CopyTo(nrs.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
			}
		}
	}
}

type grpcServer struct {
	ptraceotlp.UnimplementedGRPCServer
	st *store
}

func (g *grpcServer) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	addr := ""
	if p, ok := peer.FromContext(ctx); ok {
		addr = p.Addr.String()
	}
	g.st.add(req.Traces(), addr, "grpc")
	return ptraceotlp.NewExportResponse(), nil
}

func main() {
	grpcAddr := flag.String("grpc", "", "OTLP gRPC listen address")
	httpAddr := flag.String("http", "", "OTLP HTTP listen address (optional)")
	admin := flag.String("admin", "", "admin listen address (/spans, /ready)")
	queryAddr := flag.String("query", "", "Tempo HTTP API listen address (/ready, /api/traces/<id>), optional")
	certFile := flag.String("tls-cert", "", "server certificate (PEM); empty = plaintext")
	keyFile := flag.String("tls-key", "", "server key (PEM)")
	flag.Parse()
	if *grpcAddr == "" || *admin == "" {
		log.Fatal("tempo-standin: -grpc and -admin are required")
	}
	st := &store{traces: map[string]ptrace.Traces{}}

	var tlsConf *tls.Config
	if *certFile != "" {
		tlsConf = &tls.Config{
			MinVersion: tls.VersionTLS12,
			// Re-read on every handshake: a replaced certificate serves the next connection.
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				c, err := tls.LoadX509KeyPair(*certFile, *keyFile)
				if err != nil {
					log.Printf("tempo-standin: loading certificate: %v", err)
					return nil, err
				}
				return &c, nil
			},
		}
		if _, err := tls.LoadX509KeyPair(*certFile, *keyFile); err != nil {
			log.Fatalf("tempo-standin: %v", err)
		}
	}

	var opts []grpc.ServerOption
	if tlsConf != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConf)))
	}
	gs := grpc.NewServer(opts...)
	ptraceotlp.RegisterGRPCServer(gs, &grpcServer{st: st})
	lis, err := net.Listen("tcp", *grpcAddr)
	if err != nil {
		log.Fatalf("tempo-standin: %v", err)
	}
	go func() { log.Fatal(gs.Serve(lis)) }()

	if *httpAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			req := ptraceotlp.NewExportRequest()
			if r.Header.Get("Content-Type") == "application/json" {
				err = req.UnmarshalJSON(body)
			} else {
				err = req.UnmarshalProto(body)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			st.add(req.Traces(), r.RemoteAddr, "http")
			w.Header().Set("Content-Type", "application/x-protobuf")
			out, _ := ptraceotlp.NewExportResponse().MarshalProto()
			_, _ = w.Write(out)
		})
		srv := &http.Server{Addr: *httpAddr, Handler: mux, TLSConfig: tlsConf}
		go func() {
			if tlsConf != nil {
				log.Fatal(srv.ListenAndServeTLS("", ""))
			}
			log.Fatal(srv.ListenAndServe())
		}()
	}

	if *queryAddr != "" {
		q := http.NewServeMux()
		q.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
		q.HandleFunc("GET /api/traces/{id}", func(w http.ResponseWriter, r *http.Request) {
			st.mu.Lock()
			t, ok := st.traces[r.PathValue("id")]
			var body []byte
			if ok {
				body, _ = (&ptrace.JSONMarshaler{}).MarshalTraces(t)
			}
			st.mu.Unlock()
			if !ok {
				http.Error(w, "trace not found", http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		srv := &http.Server{Addr: *queryAddr, Handler: q, TLSConfig: tlsConf}
		go func() {
			if tlsConf != nil {
				log.Fatal(srv.ListenAndServeTLS("", ""))
			}
			log.Fatal(srv.ListenAndServe())
		}()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
	mux.HandleFunc("GET /spans", func(w http.ResponseWriter, _ *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		enc := json.NewEncoder(w)
		for _, s := range st.spans {
			_ = enc.Encode(s)
		}
	})
	log.Printf("tempo-standin: OTLP gRPC on %s (tls=%v), admin on %s", *grpcAddr, tlsConf != nil, *admin)
	if err := http.ListenAndServe(*admin, mux); err != nil {
		log.Fatal(err)
		os.Exit(1)
	}
}
