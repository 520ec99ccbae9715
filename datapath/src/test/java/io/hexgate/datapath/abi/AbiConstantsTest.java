package io.hexgate.datapath.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The constants of lib/abi.h, the source of truth, against their Java mirrors: a drop reason, direction,
 * protocol, verdict, match type or CT flag added, renumbered or removed on one side only fails here.
 */
class AbiConstantsTest {
  private static final Path ABI_H = Path.of("bpf/lib/abi.h");
  private static final Pattern DEFINE = Pattern.compile("(?m)^#define\\s+(\\w+)\\s+(0x[0-9a-fA-F]+|\\d+)\\b");

  /** C prefix, Java class, Java prefix: every C constant starting with the C prefix has its Java twin. */
  private record Family(String cPrefix, Class<?> java, String javaPrefix) {}

  private static final List<Family> FAMILIES = List.of(
      new Family("DROP_", DropReasons.class, "DROP_"),
      new Family("HG_FORWARDED", DropReasons.class, "FORWARDED"),
      new Family("HG_DIR_", Directions.class, "DIR_"),
      new Family("HG_PROTO_", Protocols.class, "PROTO_"),
      new Family("HG_VERDICT_", Verdicts.class, "VERDICT_"),
      new Family("HG_MATCH_", Verdicts.class, "MATCH_"),
      new Family("HG_CT_", CtFlags.class, "CT_"),
      new Family("HG_EVENT_", Event.class, "EVENT_"),
      new Family("HG_ACTION_", Event.class, "ACTION_"),
      new Family("HG_SETTING_", Settings.class, "SETTING_"),
      new Family("HG_MARK_", ProxyMarks.class, "MARK_"),
      new Family("HG_PROXY_SLOT_", ProxyMarks.class, "SLOT_"),
      new Family("HG_LOOPBACK_IFINDEX", ProxyMarks.class, "LOOPBACK_IFINDEX"));

  @Test
  void shouldMirrorEveryConstantOfTheHeader() throws IOException {
    assertThat(disagreements(Files.readString(ABI_H))).isEmpty();
  }

  @Test
  void shouldHaveCiliumsTextForEveryDropReasonOfTheHeader() throws IOException {
    Map<String, Integer> c = defines(Files.readString(ABI_H), "DROP_");
    assertThat(DropReasons.all().keySet()).containsExactlyInAnyOrderElementsOf(c.values());
  }

  @Test
  void shouldFailWhenADropReasonIsAddedToTheHeaderOnly() throws IOException {
    String header = Files.readString(ABI_H) + "\n#define DROP_NAT_NO_MAPPING 168\n";

    assertThat(disagreements(header)).containsExactly("DROP_NAT_NO_MAPPING = 168 in lib/abi.h, missing in DropReasons");
  }

  @Test
  void shouldFailWhenADropReasonIsRenumberedOrLeftOnlyInJava() throws IOException {
    String header = Files.readString(ABI_H).replace("#define DROP_POLICY 133", "#define DROP_POLICY 193")
        .replace("#define DROP_EP_NOT_READY 203", "");

    assertThat(disagreements(header)).containsExactlyInAnyOrder(
        "DROP_POLICY is 193 in lib/abi.h, 133 in DropReasons",
        "DropReasons.DROP_EP_NOT_READY = 203 is not in lib/abi.h");
  }

  private static List<String> disagreements(String header) {
    List<String> problems = new ArrayList<>();
    for (Family f : FAMILIES) {
      Map<String, Integer> c = defines(header, f.cPrefix());
      if (f.cPrefix().equals("HG_CT_")) {
        c.keySet().removeIf(n -> n.startsWith("HG_CT_LIFETIME_"));
      }
      Map<String, Integer> java = constants(f.java(), f.javaPrefix());
      for (Map.Entry<String, Integer> e : c.entrySet()) {
        String javaName = f.javaPrefix() + e.getKey().substring(f.cPrefix().length());
        Integer j = java.remove(javaName);
        if (j == null) {
          problems.add(e.getKey() + " = " + e.getValue() + " in lib/abi.h, missing in " + f.java().getSimpleName());
        } else if (!j.equals(e.getValue())) {
          problems.add(e.getKey() + " is " + e.getValue() + " in lib/abi.h, " + j + " in " + f.java().getSimpleName());
        }
      }
      java.forEach((name, v) -> problems.add(f.java().getSimpleName() + "." + name + " = " + v + " is not in lib/abi.h"));
    }
    return problems;
  }

  private static Map<String, Integer> defines(String header, String prefix) {
    Map<String, Integer> found = new TreeMap<>();
    Matcher m = DEFINE.matcher(header);
    while (m.find()) {
      if (m.group(1).startsWith(prefix)) {
        found.put(m.group(1), Integer.decode(m.group(2)));
      }
    }
    return found;
  }

  private static Map<String, Integer> constants(Class<?> type, String prefix) {
    Map<String, Integer> found = new TreeMap<>();
    for (Field f : type.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().startsWith(prefix)) {
        try {
          found.put(f.getName(), f.getInt(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return found;
  }
}
