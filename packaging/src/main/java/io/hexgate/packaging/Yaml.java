package io.hexgate.packaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Reading and writing the YAML of every generated file, in one style so that regeneration is byte-stable. */
final class Yaml {
  private Yaml() {}

  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              // "80" stays a string, not the number 80, when read back
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
              .disable(YAMLGenerator.Feature.SPLIT_LINES)
              .build());
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  static JsonNode read(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Every object of a multi-document YAML text (documents holding none are left out). */
  static List<JsonNode> readAll(String text) {
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(text)) {
      return docs.readAll().stream().filter(d -> d != null && d.isObject() && !d.isEmpty()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String write(JsonNode node) {
    try {
      return YAML.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String json(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode object() {
    return NODES.objectNode();
  }

  static ArrayNode array() {
    return NODES.arrayNode();
  }

  static ObjectNode map(Map<String, String> entries) {
    ObjectNode o = object();
    entries.forEach(o::put);
    return o;
  }

  /** {@code apiVersion}, {@code kind} and {@code metadata} (name, namespace when not null, labels) of an object. */
  static ObjectNode header(String apiVersion, String kind, String name, String namespace, Map<String, String> labels) {
    ObjectNode o = object();
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    ObjectNode metadata = o.putObject("metadata");
    metadata.put("name", name);
    if (namespace != null) {
      metadata.put("namespace", namespace);
    }
    if (labels != null && !labels.isEmpty()) {
      metadata.set("labels", map(labels));
    }
    return o;
  }
}
