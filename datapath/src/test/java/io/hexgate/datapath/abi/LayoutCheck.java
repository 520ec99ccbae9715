package io.hexgate.datapath.abi;

import io.hexgate.datapath.abi.BtfStructs.CField;
import io.hexgate.datapath.abi.BtfStructs.CStruct;
import io.hexgate.datapath.abi.CodecLayout.JField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A C struct against its Java mirror: same size, and every C member but padding ({@code pad*}) written by
 * the mirror's codec at the same offset with the same size, under the same name (camelCase for
 * snake_case, nested records flattened, plus the few renames a mirror declares).
 */
final class LayoutCheck {
  private LayoutCheck() {}

  static List<String> mismatches(CStruct c, String mirror, int mirrorSize, List<JField> java,
      Map<String, String> renames) {
    List<String> problems = new ArrayList<>();
    if (c.size() != mirrorSize) {
      problems.add("struct " + c.name() + " has " + c.size() + " bytes, " + mirror + " " + mirrorSize);
    }
    Map<String, JField> byCName = new HashMap<>();
    for (JField f : java) {
      byCName.put(cName(f.name(), renames), f);
    }
    for (CField f : c.fields()) {
      if (f.name().startsWith("pad")) {
        continue;
      }
      JField twin = byCName.remove(f.name());
      if (twin == null) {
        problems.add(c.name() + "." + f.name() + " (offset " + f.offset() + ", " + f.size() + " bytes) has no twin in "
            + mirror);
      } else if (twin.offset() != f.offset() || twin.size() != f.size()) {
        problems.add(c.name() + "." + f.name() + " is at offset " + f.offset() + " with " + f.size() + " bytes, "
            + mirror + "." + twin.name() + " at " + twin.offset() + " with " + twin.size());
      }
    }
    for (JField extra : byCName.values()) {
      problems.add(mirror + "." + extra.name() + " has no field in struct " + c.name());
    }
    return problems;
  }

  /** {@code srcIdentity} -> {@code src_identity}; {@code renames} first, by whole name or by prefix ending in '.'. */
  static String cName(String javaPath, Map<String, String> renames) {
    String path = javaPath;
    for (Map.Entry<String, String> r : renames.entrySet()) {
      if (path.equals(r.getKey()) || (r.getKey().endsWith(".") && path.startsWith(r.getKey()))) {
        path = r.getValue() + path.substring(r.getKey().length());
        break;
      }
    }
    return path.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
  }
}
