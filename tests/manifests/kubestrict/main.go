// kubestrict decodes Kubernetes YAML into the Kubernetes API's own Go types, strictly: an
// unknown or misspelt field, a duplicate key, a value of the wrong type (a label that is a
// boolean, a port that is a string of letters, a quantity that does not parse) or a kind this
// tool does not know is an error. It is what `kubectl apply --validate=strict` would reject
// before any admission check, without needing a cluster.
//
//	kubestrict FILE...   (or YAML on stdin); prints one line per document, exits 1 on any error
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The kinds deploy/ uses, at the API versions it uses them.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/PersistentVolumeClaim":                func() any { return &corev1.PersistentVolumeClaim{} },
	"v1/Pod":                                  func() any { return &corev1.Pod{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                     func() any { return &appsv1.StatefulSet{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"batch/v1/CronJob":                        func() any { return &batchv1.CronJob{} },
	"batch/v1/Job":                            func() any { return &batchv1.Job{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
}

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func check(source string, in io.Reader) (int, int) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	docs, failures := 0, 0
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, failures
		}
		if err != nil {
			fmt.Printf("FAIL %s: cannot split YAML: %v\n", source, err)
			return docs, failures + 1
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			continue
		}
		docs++
		var h header
		if err := yaml.Unmarshal(raw, &h); err != nil {
			fmt.Printf("FAIL %s: not a YAML object: %v\n", source, err)
			failures++
			continue
		}
		id := fmt.Sprintf("%s %s/%s", source, h.Kind, h.Metadata.Name)
		newObject, known := kinds[h.APIVersion+"/"+h.Kind]
		if !known {
			fmt.Printf("FAIL %s: unknown kind %s/%s\n", id, h.APIVersion, h.Kind)
			failures++
			continue
		}
		// YAML to JSON without looking at the target type, as kubectl sends it: a label written
		// as true stays a boolean and is refused, as the API server would refuse it.
		data, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", id, err)
			failures++
			continue
		}
		// Case-sensitive field names, unknown and duplicate fields refused: the API server's
		// strict field validation.
		strict, err := kjson.UnmarshalStrict(data, newObject(), kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err == nil && len(strict) > 0 {
			err = errors.Join(strict...)
		}
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", id, err)
			failures++
			continue
		}
		fmt.Printf("ok   %s (%s)\n", id, h.APIVersion)
	}
}

func stripComments(raw []byte) []byte {
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

func main() {
	docs, failures := 0, 0
	if len(os.Args) < 2 {
		docs, failures = check("<stdin>", os.Stdin)
	}
	for _, path := range os.Args[1:] {
		file, err := os.Open(path)
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", path, err)
			failures++
			continue
		}
		d, f := check(path, file)
		file.Close()
		docs, failures = docs+d, failures+f
	}
	if docs == 0 {
		fmt.Println("FAIL no documents")
		os.Exit(1)
	}
	if failures > 0 {
		fmt.Printf("%d of %d documents failed\n", failures, docs)
		os.Exit(1)
	}
}
