// Validates Gateway API objects, given as a JSON array on standard input,
// against the Gateway API's schemas, and prints one JSON line per object:
// {"kind", "name", "errors"} (errors empty when valid).
import fs from "node:fs";
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";

const kinds = { Gateway, HTTPRoute };
for (const object of JSON.parse(fs.readFileSync(0, "utf8"))) {
  let errors = [];
  try {
    new kinds[object.kind](object).validate();
  } catch (error) {
    errors = [error.message];
  }
  console.log(JSON.stringify({ kind: object.kind, name: object.metadata.name, errors }));
}
