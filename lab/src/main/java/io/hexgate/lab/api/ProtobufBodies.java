package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the protobuf bodies kubectl's typed clients send ({@code kubectl create namespace}, {@code create
 * configmap}, {@code create secret}, {@code create serviceaccount}, {@code auth can-i}) into JSON: the
 * {@code k8s\0} envelope (runtime.Unknown) and the fields of those kinds, numbered as in Kubernetes'
 * generated.proto. Other kinds are refused with 415, so kubectl users see which command to use instead.
 */
final class ProtobufBodies {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  /** How one message's fields map to JSON. */
  private record Fields(Map<Integer, Field> byNumber) {
    static Fields of(Field... fields) {
      Map<Integer, Field> m = new HashMap<>();
      for (Field f : fields) {
        m.put(f.number(), f);
      }
      return new Fields(m);
    }
  }

  private enum Kind { STRING, BYTES, BOOL, INT, MESSAGE, STRING_MAP, BYTES_MAP, STRINGS }

  private record Field(int number, String name, Kind kind, Fields message) {
    static Field of(int number, String name, Kind kind) {
      return new Field(number, name, kind, null);
    }

    static Field message(int number, String name, Fields message) {
      return new Field(number, name, Kind.MESSAGE, message);
    }
  }

  private static final Fields OBJECT_META = Fields.of(
      Field.of(1, "name", Kind.STRING), Field.of(2, "generateName", Kind.STRING), Field.of(3, "namespace", Kind.STRING),
      Field.of(5, "uid", Kind.STRING), Field.of(6, "resourceVersion", Kind.STRING),
      Field.of(11, "labels", Kind.STRING_MAP), Field.of(12, "annotations", Kind.STRING_MAP),
      Field.of(14, "finalizers", Kind.STRINGS));

  private static final Map<String, Fields> KINDS = Map.of(
      "v1/Namespace", Fields.of(Field.message(1, "metadata", OBJECT_META),
          Field.message(2, "spec", Fields.of(Field.of(1, "finalizers", Kind.STRINGS)))),
      "v1/ConfigMap", Fields.of(Field.message(1, "metadata", OBJECT_META), Field.of(2, "data", Kind.STRING_MAP),
          Field.of(3, "binaryData", Kind.BYTES_MAP), Field.of(4, "immutable", Kind.BOOL)),
      "v1/Secret", Fields.of(Field.message(1, "metadata", OBJECT_META), Field.of(2, "data", Kind.BYTES_MAP),
          Field.of(3, "type", Kind.STRING), Field.of(4, "stringData", Kind.STRING_MAP), Field.of(5, "immutable", Kind.BOOL)),
      "v1/ServiceAccount", Fields.of(Field.message(1, "metadata", OBJECT_META)),
      "authorization.k8s.io/v1/SelfSubjectAccessReview", Fields.of(Field.message(1, "metadata", OBJECT_META),
          Field.message(2, "spec", Fields.of(
              Field.message(1, "resourceAttributes", Fields.of(Field.of(1, "namespace", Kind.STRING),
                  Field.of(2, "verb", Kind.STRING), Field.of(3, "group", Kind.STRING), Field.of(4, "version", Kind.STRING),
                  Field.of(5, "resource", Kind.STRING), Field.of(6, "subresource", Kind.STRING),
                  Field.of(7, "name", Kind.STRING))),
              Field.message(2, "nonResourceAttributes", Fields.of(Field.of(1, "path", Kind.STRING),
                  Field.of(2, "verb", Kind.STRING)))))),
      "authorization.k8s.io/v1/SelfSubjectRulesReview", Fields.of(Field.message(1, "metadata", OBJECT_META),
          Field.message(2, "spec", Fields.of(Field.of(1, "namespace", Kind.STRING)))));

  private ProtobufBodies() {}

  static ObjectNode decode(byte[] body) {
    if (body.length < MAGIC.length || !java.util.Arrays.equals(java.util.Arrays.copyOf(body, MAGIC.length), MAGIC)) {
      throw ApiException.badRequest("a protobuf body must start with the k8s\\0 envelope");
    }
    try {
      CodedInputStream in = CodedInputStream.newInstance(body, MAGIC.length, body.length - MAGIC.length);
      String apiVersion = "";
      String kind = "";
      ByteString raw = ByteString.EMPTY;
      for (int tag; (tag = in.readTag()) != 0; ) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> {
            CodedInputStream meta = in.readBytes().newCodedInput();
            for (int t; (t = meta.readTag()) != 0; ) {
              switch (WireFormat.getTagFieldNumber(t)) {
                case 1 -> apiVersion = meta.readString();
                case 2 -> kind = meta.readString();
                default -> meta.skipField(t);
              }
            }
          }
          case 2 -> raw = in.readBytes();
          default -> in.skipField(tag);
        }
      }
      Fields fields = KINDS.get(apiVersion + "/" + kind);
      if (fields == null) {
        throw new ApiException(415, "UnsupportedMediaType", "the lab API server reads " + kind
            + " objects in JSON or YAML only, not protobuf: use kubectl apply -f or create -f with a manifest", null);
      }
      ObjectNode o = message(raw.newCodedInput(), fields);
      o.put("apiVersion", apiVersion).put("kind", kind);
      return o;
    } catch (IOException e) {
      throw ApiException.badRequest("the protobuf body could not be decoded: " + e.getMessage());
    }
  }

  private static ObjectNode message(CodedInputStream in, Fields fields) throws IOException {
    ObjectNode o = F.objectNode();
    for (int tag; (tag = in.readTag()) != 0; ) {
      Field f = fields.byNumber().get(WireFormat.getTagFieldNumber(tag));
      if (f == null) {
        in.skipField(tag);
        continue;
      }
      switch (f.kind()) {
        case STRING -> {
          String s = in.readString();
          if (!s.isEmpty()) {
            o.put(f.name(), s);
          }
        }
        case BYTES -> o.put(f.name(), Base64.getEncoder().encodeToString(in.readBytes().toByteArray()));
        case BOOL -> o.put(f.name(), in.readBool());
        case INT -> o.put(f.name(), in.readInt64());
        case MESSAGE -> {
          ObjectNode child = message(in.readBytes().newCodedInput(), f.message());
          if (!child.isEmpty()) {
            o.set(f.name(), child);
          }
        }
        case STRINGS -> ((ArrayNode) (o.has(f.name()) ? o.get(f.name()) : o.putArray(f.name()))).add(in.readString());
        case STRING_MAP, BYTES_MAP -> {
          CodedInputStream entry = in.readBytes().newCodedInput();
          String key = "";
          String value = "";
          for (int t; (t = entry.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(t)) {
              case 1 -> key = entry.readString();
              case 2 -> value = f.kind() == Kind.STRING_MAP ? entry.readString()
                  : Base64.getEncoder().encodeToString(entry.readBytes().toByteArray());
              default -> entry.skipField(t);
            }
          }
          o.withObjectProperty(f.name()).put(key, value);
        }
        default -> in.skipField(tag);
      }
    }
    return o;
  }
}
