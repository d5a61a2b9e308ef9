// Command check builds deploy/k8s (and deploy/k8s/redis) with the kustomize library, as `kubectl apply -k`
// does, and decodes every object it renders strictly into Kubernetes' own API types (client-go's scheme, plus
// prometheus-operator's monitoring/v1 for the ServiceMonitor and PrometheusRule): a misspelled or misplaced
// field, a wrong type or an unknown kind fails, which parsing the YAML alone cannot see.
//
//	go run . ../ ../redis    (from deploy/k8s/check; deploy/local/k8s-check.sh builds and runs it)
//
// Prints one line per object ("ok <kind> <namespace>/<name>") and exits 1 on the first failure.
package main

import (
	"fmt"
	"os"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: check <kustomization dir>...")
		os.Exit(2)
	}
	types := runtime.NewScheme()
	if err := scheme.AddToScheme(types); err != nil {
		fail("client-go scheme: %v", err)
	}
	if err := monitoringv1.AddToScheme(types); err != nil {
		fail("prometheus-operator scheme: %v", err)
	}
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, types, types, json.SerializerOptions{Yaml: true, Strict: true})
	for _, dir := range os.Args[1:] {
		resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			fail("kustomize build %s: %v", dir, err)
		}
		for _, r := range resources.Resources() {
			doc, err := r.AsYAML()
			if err != nil {
				fail("%s: %v", r.CurId(), err)
			}
			if _, _, err := strict.Decode(doc, nil, nil); err != nil {
				fail("%s %s/%s in %s: %v", r.GetKind(), r.GetNamespace(), r.GetName(), dir, err)
			}
			fmt.Printf("ok %s %s/%s\n", r.GetKind(), r.GetNamespace(), r.GetName())
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "check: "+format+"\n", args...)
	os.Exit(1)
}
