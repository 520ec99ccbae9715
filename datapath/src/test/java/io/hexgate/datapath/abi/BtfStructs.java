package io.hexgate.datapath.abi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The named structs of a BTF blob, from {@code bpftool btf dump file <obj> format raw}: size, and each
 * member's offset and size in bytes (member sizes resolved through typedefs, arrays and modifiers).
 */
record BtfStructs(Map<String, CStruct> structs) {
  record CField(String name, int offset, int size) {}

  record CStruct(String name, int size, List<CField> fields) {
    /** The same struct with one more member: what adding a field to the C struct alone looks like. */
    CStruct withField(String field, int offset, int fieldSize) {
      List<CField> more = new ArrayList<>(fields);
      more.add(new CField(field, offset, fieldSize));
      return new CStruct(name, Math.max(size, offset + fieldSize), more);
    }
  }

  private static final Pattern TYPE = Pattern.compile("^\\[(\\d+)] (\\w+) '([^']*)'(.*)$");
  private static final Pattern MEMBER = Pattern.compile("^\\s+'([^']*)' type_id=(\\d+) bits_offset=(\\d+)");

  private record Type(String kind, String name, Map<String, Long> attrs, List<String[]> members) {}

  /** Runs bpftool on {@code object}; fails when it cannot. */
  static BtfStructs ofObject(Path object) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bpftool", "btf", "dump", "file", object.toString(), "format", "raw")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("bpftool btf dump file " + object + " failed: " + out);
    }
    return parse(out);
  }

  static BtfStructs parse(String raw) {
    Map<Integer, Type> types = new HashMap<>();
    Type current = null;
    for (String line : raw.split("\n")) {
      Matcher t = TYPE.matcher(line);
      if (t.matches()) {
        Map<String, Long> attrs = new HashMap<>();
        Matcher a = Pattern.compile("(\\w+)=(\\d+)").matcher(t.group(4));
        while (a.find()) {
          attrs.put(a.group(1), Long.parseLong(a.group(2)));
        }
        current = new Type(t.group(2), t.group(3), attrs, new ArrayList<>());
        types.put(Integer.parseInt(t.group(1)), current);
        continue;
      }
      Matcher m = MEMBER.matcher(line);
      if (m.find() && current != null) {
        current.members().add(new String[] {m.group(1), m.group(2), m.group(3)});
      }
    }
    Map<String, CStruct> structs = new LinkedHashMap<>();
    for (Type type : types.values()) {
      if (!type.kind().equals("STRUCT") || type.name().equals("(anon)")) {
        continue;
      }
      List<CField> fields = new ArrayList<>();
      for (String[] member : type.members()) {
        long bits = Long.parseLong(member[2]);
        if (bits % 8 != 0) {
          throw new IllegalArgumentException("struct " + type.name() + ": bit field " + member[0] + " has no Java twin");
        }
        fields.add(new CField(member[0], (int) (bits / 8), sizeOf(types, Integer.parseInt(member[1]))));
      }
      structs.put(type.name(), new CStruct(type.name(), type.attrs().get("size").intValue(), List.copyOf(fields)));
    }
    return new BtfStructs(structs);
  }

  private static int sizeOf(Map<Integer, Type> types, int id) {
    Type t = types.get(id);
    return switch (t.kind()) {
      case "INT", "STRUCT", "UNION", "ENUM", "ENUM64" -> t.attrs().get("size").intValue();
      case "TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG" -> sizeOf(types, t.attrs().get("type_id").intValue());
      case "ARRAY" -> sizeOf(types, t.attrs().get("type_id").intValue()) * t.attrs().get("nr_elems").intValue();
      case "PTR" -> 8;
      default -> throw new IllegalArgumentException("BTF kind " + t.kind() + " of type " + id);
    };
  }
}
