package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/model"
)

func init() {
	commands["predict"] = command{
		summary: "predict each pod's share of load-balanced traffic from a topology file",
		run:     runPredict,
	}
}

// predictJSON is the -o json document: the prediction's fields at the top
// level (the contract other modules read), plus what was asked for.
type predictJSON struct {
	model.Prediction
	Simulation *model.SimResult        `json:"simulation,omitempty"`
	Contrast   []model.NamedPrediction `json:"contrast,omitempty"`
	// ZoneLost is the layout with each zone out in turn.
	ZoneLost []model.ZoneLoss `json:"zoneLost,omitempty"`
	// Population is the long-lived callers' view: the layout as given and
	// under the toolkit default and the usual alternatives.
	Population []model.NamedPopulation `json:"population,omitempty"`
}

func printPredictUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: eksbalance predict FILE [-o text|json] [--contrast] [--clients k=v,...] [--population=false] [--simulate [simulation flags]]")
	fmt.Fprintln(w, "FILE is a YAML or JSON topology, e.g.:")
	fmt.Fprintln(w, "  loadBalancer: {kind: nlb, targetType: instance, crossZone: false}")
	fmt.Fprintln(w, "  externalTrafficPolicy: Local")
	fmt.Fprintln(w, "  zones:")
	fmt.Fprintln(w, "    - name: us-east-1a")
	fmt.Fprintln(w, "      nodes: [{name: a1, pods: 2}, {name: a2, pods: 1}]")
}

func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("predict", stderr, printPredictUsage)
	output := fs.String("o", "text", "output format: text or json")
	contrast := fs.Bool("contrast", false, "also evaluate the same layout under the toolkit default and the Kubernetes defaults")
	simulate := fs.Bool("simulate", false, "also simulate per-pod requests with long-lived connections (implied by any flag below)")
	population := fs.Bool("population", true, "show the long-lived callers' view (DNS caching, keepalive, recycling) and the zone-lost rows")
	var clients clientsFlag
	fs.Var(&clients, "clients", clientsUsage+"; overrides the file's clients section")
	var sim model.SimConfig
	var dist string
	var l7 bool
	fs.IntVar(&sim.Connections, "connections", 0, "simulation: client connections per run (default 100)")
	fs.StringVar(&dist, "requests", "", "simulation: requests per connection: fixed, exponential, pareto or lognormal (default exponential)")
	fs.Float64Var(&sim.MeanRequests, "mean-requests", 0, "simulation: mean requests per connection (default 100)")
	fs.Float64Var(&sim.Shape, "shape", 0, "simulation: pareto alpha (default 1.5) or lognormal sigma (default 1)")
	fs.IntVar(&sim.MaxRequestsPerConnection, "max-requests", 0, "simulation: server recycles a connection after this many requests (0: never)")
	fs.BoolVar(&l7, "l7", false, "simulation: balance every request (ALB) instead of every connection")
	fs.IntVar(&sim.Repetitions, "runs", 0, "simulation: independent runs for the 95% confidence interval (default 30)")
	fs.Uint64Var(&sim.Seed, "seed", 0, "simulation: random seed; the same seed repeats the result")
	pos, code, done := fs.parse(args, stderr)
	if done {
		return code
	}
	if why, ok := oneOf("-o", *output, "text", "json"); !ok {
		return usageError(stderr, "predict", "%s", why)
	}
	switch len(pos) {
	case 0:
		return usageError(stderr, "predict", "a topology FILE is required (model/testdata/seed.yaml is an example)")
	case 1:
	default:
		return usageError(stderr, "predict", "takes one topology FILE, got %d: %s", len(pos), strings.Join(pos, " "))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "o", "contrast", "simulate", "population", "clients":
		default:
			*simulate = true
		}
	})
	sim.Distribution = model.Distribution(dist)
	if l7 {
		sim.Balancing = model.BalancingRequest
	}

	topo, err := model.ReadTopologyFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
		return 2
	}
	pred, err := model.Predict(topo)
	if err != nil {
		fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
		return 2
	}
	doc := predictJSON{Prediction: pred}
	if *simulate {
		res, err := model.Simulate(pred, sim)
		if err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
		doc.Simulation = &res
	}
	if *contrast {
		if doc.Contrast, err = model.Contrast(topo.LoadBalancer.Kind, topo.Zones); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
	}
	if *population {
		if c := clients.population(); c != nil {
			topo.Clients = c
		}
		if doc.ZoneLost, err = model.ZoneLost(topo); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
		if doc.Population, err = model.PopulationContrast(topo, model.Duration(workload.DefaultNLBMaxConnAge), model.PopulationOptions{}, nil); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
		doc.Population[0].Label = "as in the file"
	}

	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
		return 0
	}
	if err := model.WriteText(stdout, topo, pred); err != nil {
		fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
		return 2
	}
	if doc.ZoneLost != nil {
		fmt.Fprintln(stdout)
		if err := model.WriteZoneLost(stdout, pred, doc.ZoneLost); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
	}
	if doc.Population != nil {
		fmt.Fprintln(stdout, "\nlong-lived callers (DNS caching, keepalive, recycling) on the same layout:")
		if err := model.WritePopulation(stdout, doc.Population); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
	}
	if doc.Contrast != nil {
		fmt.Fprintln(stdout, "\nsame layout, other load-balancer settings:")
		if err := model.WriteContrast(stdout, doc.Contrast); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
	}
	if doc.Simulation != nil {
		fmt.Fprintln(stdout)
		if err := model.WriteSimText(stdout, *doc.Simulation); err != nil {
			fmt.Fprintf(stderr, "eksbalance predict: %v\n", err)
			return 2
		}
	}
	return 0
}
