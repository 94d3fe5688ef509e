// Validate Kubernetes documents with the models of @kubernetes-models/knative and
// kubernetes-models (their JSON schemas, generated from the Knative CRDs and the
// Kubernetes OpenAPI). Input on stdin: a JSON array of documents. Output on stdout:
// a JSON array, one {kind, name, ok, error} per document. Exit 0 always when the
// input parsed; the caller decides. An apiVersion/kind with no model is not ok.
"use strict";
const path = require("path");

function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates = group.endsWith("knative.dev")
    ? [path.join("@kubernetes-models/knative", group, version, kind)]
    : [path.join("kubernetes-models", group || "", version, kind)];
  for (const name of candidates) {
    try {
      return require(name)[kind];
    } catch (e) {
      if (e.code !== "MODULE_NOT_FOUND" && e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e;
    }
  }
  return null;
}

const docs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const results = docs.map((doc) => {
  const kind = doc && doc.kind, name = doc && doc.metadata && doc.metadata.name;
  const Model = doc && typeof doc.apiVersion === "string" && kind ? modelFor(doc.apiVersion, kind) : null;
  if (!Model) return { kind, name, ok: false, error: `no model for ${doc && doc.apiVersion} ${kind}` };
  try {
    new Model(doc).validate();
    return { kind, name, ok: true, error: null };
  } catch (e) {
    return { kind, name, ok: false, error: String(e.message || e) };
  }
});
process.stdout.write(JSON.stringify(results));
