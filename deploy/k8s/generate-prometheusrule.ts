// npx tsx deploy/k8s/generate-prometheusrule.ts — regenerate prometheusrule.yaml from deploy/prometheus/alerts.yml.
import { readFileSync, writeFileSync } from "node:fs";
import { prometheusRuleYaml } from "./prometheusrule.ts";

const alerts = new URL("../prometheus/alerts.yml", import.meta.url);
const target = new URL("./prometheusrule.yaml", import.meta.url);
writeFileSync(target, prometheusRuleYaml(readFileSync(alerts, "utf8")));
console.log(`wrote ${target.pathname}`);
