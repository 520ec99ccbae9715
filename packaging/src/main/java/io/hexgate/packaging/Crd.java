package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** One CustomResourceDefinition of {@code crds/}, as the generator reads it. */
record Crd(String fileName, ObjectNode object) {

  String name() {
    return object.path("metadata").path("name").asText();
  }

  String group() {
    return object.path("spec").path("group").asText();
  }

  String kind() {
    return object.path("spec").path("names").path("kind").asText();
  }

  boolean namespaced() {
    return "Namespaced".equals(object.path("spec").path("scope").asText());
  }

  /** The version objects are stored in: the one OLM's {@code owned} entry names. */
  String storageVersion() {
    return storage().path("name").asText();
  }

  /** The top-level properties of {@code spec} or {@code status} in the stored version's schema, in order. */
  List<Property> properties(String section) {
    JsonNode props = storage().path("schema").path("openAPIV3Schema").path("properties").path(section).path("properties");
    List<Property> out = new ArrayList<>();
    props.fields().forEachRemaining(e -> out.add(new Property(e.getKey(), e.getValue())));
    return out;
  }

  /** A copy carrying Hexgate's label, by which an install tells its own CRDs from another installer's. */
  ObjectNode labelled() {
    ObjectNode copy = object.deepCopy();
    ObjectNode metadata = (ObjectNode) copy.get("metadata");
    ObjectNode labels = metadata.has("labels") ? (ObjectNode) metadata.get("labels") : metadata.putObject("labels");
    Names.labels(null).forEach(labels::put);
    return copy;
  }

  private JsonNode storage() {
    for (JsonNode v : object.path("spec").path("versions")) {
      if (v.path("storage").asBoolean()) {
        return v;
      }
    }
    throw new IllegalStateException("crds/" + fileName + " has no storage version");
  }

  /** A property of a CRD's schema. */
  record Property(String name, JsonNode schema) {
    String type() {
      return schema.path("type").asText();
    }

    String description() {
      return schema.path("description").asText("");
    }
  }
}
