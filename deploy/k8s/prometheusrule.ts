// Builds the prometheus-operator PrometheusRule from deploy/prometheus/alerts.yml, the single source of the
// alert rules. Used by generate-prometheusrule.ts (writes prometheusrule.yaml) and by the test that checks
// the committed file is current.
import { parse, stringify } from "yaml";

const HEADER = `# GENERATED from deploy/prometheus/alerts.yml by \`npx tsx deploy/k8s/generate-prometheusrule.ts\` — do not edit.
# test/unit/metrics/k8s-manifests.test.ts fails when this file is out of date.
`;

export function prometheusRuleYaml(alertsYaml: string): string {
  const rules = parse(alertsYaml) as { groups: unknown[] };
  const resource = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "drift-detector",
      labels: { "app.kubernetes.io/name": "drift-detector", release: "prometheus" },
    },
    spec: { groups: rules.groups },
  };
  return HEADER + stringify(resource, { lineWidth: 0 });
}
