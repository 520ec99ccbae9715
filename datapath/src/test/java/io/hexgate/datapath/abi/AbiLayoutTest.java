package io.hexgate.datapath.abi;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.BtfStructs.CStruct;
import io.hexgate.datapath.abi.CodecLayout.JField;
import io.hexgate.datapath.bpf.Codec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every Java mirror of a lib/abi.h struct matches the struct's BTF in abi_layout.o: size and field offsets. */
class AbiLayoutTest {
  /** Written by datapath/bpf/build.sh during the build (generate-resources). */
  private static final Path ABI_LAYOUT_OBJECT = Path.of("target/bpf/abi_layout.o");

  private record Mirror<R extends Record>(Class<R> type, Codec<R> codec, Map<String, String> renames) {
    Mirror(Class<R> type, Codec<R> codec) {
      this(type, codec, Map.of());
    }

    List<JField> fields() {
      return CodecLayout.of(type, codec);
    }
  }

  /** C struct -> its mirror. A struct of abi.h missing here fails the test as surely as a wrong offset. */
  private static final Map<String, Mirror<?>> MIRRORS = new LinkedHashMap<>();

  static {
    MIRRORS.put("hg_ipcache_host_key", new Mirror<>(IpcacheHostKey.class, IpcacheHostKey.CODEC));
    MIRRORS.put("hg_ipcache_key", new Mirror<>(IpcacheKey.class, IpcacheKey.CODEC, Map.of("prefixLen", "prefixlen")));
    MIRRORS.put("hg_ipcache_value", new Mirror<>(IpcacheValue.class, IpcacheValue.CODEC));
    MIRRORS.put("hg_endpoint_key", new Mirror<>(EndpointKey.class, EndpointKey.CODEC));
    MIRRORS.put("hg_endpoint_value", new Mirror<>(EndpointValue.class, EndpointValue.CODEC));
    MIRRORS.put("hg_policy_key", new Mirror<>(PolicyKey.class, PolicyKey.CODEC));
    MIRRORS.put("hg_policy_value", new Mirror<>(PolicyValue.class, PolicyValue.CODEC));
    MIRRORS.put("hg_service_key", new Mirror<>(ServiceKey.class, ServiceKey.CODEC));
    MIRRORS.put("hg_service_value", new Mirror<>(ServiceValue.class, ServiceValue.CODEC));
    MIRRORS.put("hg_backend_key", new Mirror<>(BackendKey.class, BackendKey.CODEC));
    MIRRORS.put("hg_backend_value", new Mirror<>(BackendValue.class, BackendValue.CODEC));
    MIRRORS.put("hg_ct_key", new Mirror<>(CtKey.class, CtKey.CODEC));
    MIRRORS.put("hg_ct_value", new Mirror<>(CtValue.class, CtValue.CODEC));
    MIRRORS.put("hg_frag_key", new Mirror<>(FragKey.class, FragKey.CODEC));
    MIRRORS.put("hg_frag_value", new Mirror<>(FragValue.class, FragValue.CODEC));
    MIRRORS.put("hg_metrics_value", new Mirror<>(MetricsValue.class, MetricsValue.CODEC));
    MIRRORS.put("hg_config", new Mirror<>(Config.class, Config.CODEC, Map.of("lifetimes.", "lifetime_")));
    MIRRORS.put("hg_settings", new Mirror<>(Settings.class, Settings.CODEC));
    MIRRORS.put("hg_event", new Mirror<>(Event.class, Event.CODEC, Map.of("timeNanos", "time_ns")));
  }

  private static BtfStructs btf;

  @BeforeAll
  static void readBtf() throws Exception {
    Assumptions.assumeTrue(Files.exists(ABI_LAYOUT_OBJECT),
        ABI_LAYOUT_OBJECT + " is missing: the build skipped the BPF object (-Dhexgate.bpf.skip=true, no clang)");
    btf = BtfStructs.ofObject(ABI_LAYOUT_OBJECT);
  }

  @Test
  void shouldMatchEveryMirrorToItsCStruct() {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Mirror<?>> e : MIRRORS.entrySet()) {
      CStruct c = btf.structs().get(e.getKey());
      Mirror<?> m = e.getValue();
      if (c == null) {
        problems.add("abi_layout.o has no struct " + e.getKey());
        continue;
      }
      problems.addAll(LayoutCheck.mismatches(c, m.type().getSimpleName(), m.codec().size(), m.fields(), m.renames()));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void shouldHaveAMirrorForEveryAbiStruct() {
    List<String> unmirrored = new ArrayList<>();
    for (String name : btf.structs().keySet()) {
      if (name.startsWith("hg_") && !MIRRORS.containsKey(name) && !name.equals("hg_ct_count")) {
        unmirrored.add(name);
      }
    }
    assertThat(unmirrored).as("lib/abi.h structs without a Java mirror").isEmpty();
  }

  /** hg_ct_count is one u32, mirrored by a scalar codec rather than a record. */
  @Test
  void shouldMatchTheConnectionCountToItsScalarCodec() {
    CStruct c = btf.structs().get("hg_ct_count");
    assertThat(c.size()).isEqualTo(ScalarCodecs.CT_COUNT.size());
    assertThat(c.fields()).extracting(BtfStructs.CField::name).containsExactly("connections");
  }

  @Test
  void shouldFailWhenACFieldIsAddedWithoutItsJavaTwin() {
    CStruct grown = btf.structs().get("hg_ct_key").withField("mark", 16, 4);

    List<String> problems = LayoutCheck.mismatches(grown, "CtKey", CtKey.CODEC.size(), CodecLayout.of(CtKey.class,
        CtKey.CODEC), Map.of());

    assertThat(problems).containsExactlyInAnyOrder(
        "struct hg_ct_key has 20 bytes, CtKey 16",
        "hg_ct_key.mark (offset 16, 4 bytes) has no twin in CtKey");
  }

  @Test
  void shouldFailWhenAJavaFieldSitsElsewhereThanItsCField() {
    CStruct c = btf.structs().get("hg_backend_value");
    List<JField> swapped = List.of(new JField("addr", 0, 4), new JField("port", 6, 2));

    assertThat(LayoutCheck.mismatches(c, "BackendValue", 8, swapped, Map.of()))
        .containsExactly("hg_backend_value.port is at offset 4 with 2 bytes, BackendValue.port at 6 with 2");
  }

  @Test
  void shouldReadMemberOffsetsAndSizesFromARawBtfDump() {
    String raw = """
        [1] TYPEDEF '__u32' type_id=2
        [2] INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=(none)
        [3] TYPEDEF '__u16' type_id=4
        [4] INT 'unsigned short' size=2 bits_offset=0 nr_bits=16 encoding=(none)
        [5] STRUCT 'hg_backend_value' size=8 vlen=3
        \t'addr' type_id=1 bits_offset=0
        \t'port' type_id=3 bits_offset=32
        \t'pad' type_id=3 bits_offset=48
        """;

    CStruct s = BtfStructs.parse(raw).structs().get("hg_backend_value");

    assertThat(s.size()).isEqualTo(8);
    assertThat(s.fields()).containsExactly(new BtfStructs.CField("addr", 0, 4), new BtfStructs.CField("port", 4, 2),
        new BtfStructs.CField("pad", 6, 2));
  }
}
