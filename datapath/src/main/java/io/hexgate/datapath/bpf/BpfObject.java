package io.hexgate.datapath.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Pointer;

/**
 * A BPF object file opened and loaded through libbpf. Closing it closes the descriptors of its maps and
 * programs; pinned maps and attached programs stay in the kernel.
 *
 * <pre>
 * try (BpfObject obj = BpfObject.openPackaged()) {
 *   obj.pinMapsUnder(Path.of("/sys/fs/bpf/hexgate/node-1"));  // adopt or create-and-pin
 *   obj.load();
 *   BpfMap policy = obj.map("hg_policy");
 *   BpfProgram fromPod = obj.program("from_pod");
 * }
 * </pre>
 */
public final class BpfObject implements AutoCloseable {
  /** The datapath's programs, compiled by datapath/bpf/build.sh during the Maven build. */
  public static final String PACKAGED = "/io/hexgate/datapath/bpf/hexgate.bpf.o";

  private final String file;
  private Pointer obj;
  private boolean loaded;
  private final Map<String, BpfMap> maps = new LinkedHashMap<>();

  private BpfObject(String file, Pointer obj) {
    this.file = file;
    this.obj = obj;
  }

  /** Whether the build packaged the BPF object (it is left out with -Dhexgate.bpf.skip=true). */
  public static boolean packaged() {
    return BpfObject.class.getResource(PACKAGED) != null;
  }

  /** Opens the packaged object, through a temporary copy that libbpf can read by path. */
  public static BpfObject openPackaged() {
    Path tmp;
    try (InputStream in = BpfObject.class.getResourceAsStream(PACKAGED)) {
      if (in == null) {
        throw new BpfException("the BPF object " + PACKAGED + " is not on the classpath: the build had no clang "
            + "(see datapath/bpf/build.sh)");
      }
      tmp = Files.createTempFile("hexgate-", ".bpf.o");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("copying " + PACKAGED + " to a temporary file", e);
    }
    try {
      return open(tmp);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }

  public static BpfObject open(Path file) {
    LibBpf bpf = Native.libbpf();
    Pointer obj = bpf.bpf_object__open_file(file.toString(), null);
    if (obj == null) {
      throw new BpfException("bpf_object__open_file", file.toString(), Native.errno());
    }
    return new BpfObject(file.toString(), obj);
  }

  /** libbpf's map of a global variable's own section {@code .data.<name>}: pinned, and found, as {@code <name>}. */
  private static final String OWN_DATA_SECTION = ".data.";

  /**
   * The name a map is pinned and found under: its own, or a global variable's (lib/maps.h, hg_config) for
   * the map of that variable's own data section; null for libbpf's other internal maps (.bss, .data,
   * .rodata), which are never pinned.
   */
  private static String pinName(String mapName) {
    if (mapName.startsWith(OWN_DATA_SECTION)) {
      return mapName.substring(OWN_DATA_SECTION.length());
    }
    return mapName.contains(".") ? null : mapName;
  }

  /**
   * Before {@link #load()}: every map (except libbpf's internal .bss/.data/.rodata) gets the pin path
   * {@code dir/<map name>}, the map of a global variable's own section the variable's name. Loading then
   * reuses a map pinned there when its definition matches (fails when it does not: move such pins aside
   * first, see {@code MapMigration}), and creates and pins the others. The directory must be on a bpffs.
   */
  public BpfObject pinMapsUnder(Path dir) {
    checkOpen();
    if (loaded) {
      throw new IllegalStateException(file + ": pin paths must be set before load");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("creating the pin directory " + dir, e);
    }
    LibBpf bpf = Native.libbpf();
    for (Pointer m = bpf.bpf_object__next_map(obj, null); m != null; m = bpf.bpf_object__next_map(obj, m)) {
      String name = pinName(bpf.bpf_map__name(m));
      if (name == null) {
        continue;
      }
      BpfException.check(bpf.bpf_map__set_pin_path(m, dir.resolve(name).toString()), "bpf_map__set_pin_path", name);
    }
    return this;
  }

  /**
   * Before {@link #load()}: the definition of every map that gets a pin path ({@link #pinMapsUnder}), by
   * the name it is pinned under, as the object declares it: what a pinned map must equal to be reused.
   */
  public Map<String, MapDefinition> pinnableDefinitions() {
    checkOpen();
    Map<String, MapDefinition> defs = new LinkedHashMap<>();
    LibBpf bpf = Native.libbpf();
    for (Pointer m = bpf.bpf_object__next_map(obj, null); m != null; m = bpf.bpf_object__next_map(obj, m)) {
      String name = pinName(bpf.bpf_map__name(m));
      if (name != null) {
        defs.put(name, new MapDefinition(bpf.bpf_map__type(m), bpf.bpf_map__key_size(m), bpf.bpf_map__value_size(m),
            bpf.bpf_map__max_entries(m), bpf.bpf_map__map_flags(m), bpf.bpf_map__map_extra(m)));
      }
    }
    return defs;
  }

  /** Before {@link #load()}: the size of map {@code name} (a pinned map is reused only when its size matches). */
  public BpfObject setMaxEntries(String name, int maxEntries) {
    checkOpen();
    if (loaded) {
      throw new IllegalStateException(file + ": map sizes must be set before load");
    }
    if (maxEntries < 1) {
      throw new IllegalArgumentException("max_entries of map " + name + " must be at least 1, got " + maxEntries);
    }
    Pointer m = Native.libbpf().bpf_object__find_map_by_name(obj, name);
    if (m == null) {
      throw new BpfException(file + " has no map " + name);
    }
    BpfException.check(Native.libbpf().bpf_map__set_max_entries(m, maxEntries), "bpf_map__set_max_entries", name);
    return this;
  }

  /**
   * Before {@link #load()}: the object's {@code .rodata}, its {@code const volatile} globals (lib/abi.h,
   * struct hg_settings), which the programs see as constants once loaded. {@code bytes} must be exactly the
   * section's size.
   */
  public BpfObject setReadOnlyData(byte[] bytes) {
    checkOpen();
    if (loaded) {
      throw new IllegalStateException(file + ": .rodata must be set before load");
    }
    LibBpf bpf = Native.libbpf();
    Pointer m = bpf.bpf_object__find_map_by_name(obj, ".rodata");
    if (m == null) {
      throw new BpfException(file + " has no .rodata");
    }
    int size = bpf.bpf_map__value_size(m);
    if (size != bytes.length) {
      throw new BpfException(file + ": .rodata has " + size + " bytes, the settings given have " + bytes.length);
    }
    BpfException.check(bpf.bpf_map__set_initial_value(m, bytes, bytes.length), "bpf_map__set_initial_value", ".rodata");
    return this;
  }

  public BpfObject load() {
    checkOpen();
    BpfException.check(Native.libbpf().bpf_object__load(obj), "bpf_object__load", file);
    loaded = true;
    return this;
  }

  public List<String> mapNames() {
    checkOpen();
    List<String> names = new ArrayList<>();
    LibBpf bpf = Native.libbpf();
    for (Pointer m = bpf.bpf_object__next_map(obj, null); m != null; m = bpf.bpf_object__next_map(obj, m)) {
      names.add(bpf.bpf_map__name(m));
    }
    return names;
  }

  /** Map {@code name}, or the map of global variable {@code name} in its own section (as pinned: {@link #pinMapsUnder}). */
  public synchronized BpfMap map(String name) {
    checkLoaded();
    return maps.computeIfAbsent(name, n -> {
      LibBpf bpf = Native.libbpf();
      Pointer m = bpf.bpf_object__find_map_by_name(obj, n);
      if (m == null && !n.startsWith(".")) {
        m = bpf.bpf_object__find_map_by_name(obj, OWN_DATA_SECTION + n);
      }
      if (m == null) {
        throw new BpfException(file + " has no map " + n);
      }
      int fd = BpfException.check(bpf.bpf_map__fd(m), "bpf_map__fd", n);
      return new BpfMap(n, fd, bpf.bpf_map__type(m), bpf.bpf_map__key_size(m), bpf.bpf_map__value_size(m),
          bpf.bpf_map__max_entries(m), false);
    });
  }

  public BpfProgram program(String name) {
    checkLoaded();
    LibBpf bpf = Native.libbpf();
    Pointer p = bpf.bpf_object__find_program_by_name(obj, name);
    if (p == null) {
      throw new BpfException(file + " has no program " + name);
    }
    return new BpfProgram(name, BpfException.check(bpf.bpf_program__fd(p), "bpf_program__fd", name));
  }

  /** Pins a program at {@code path} (bpffs), e.g. so that a restarted agent finds what it attached. */
  public void pinProgram(String name, Path path) {
    checkLoaded();
    Pointer p = Native.libbpf().bpf_object__find_program_by_name(obj, name);
    if (p == null) {
      throw new BpfException(file + " has no program " + name);
    }
    BpfException.check(Native.libbpf().bpf_program__pin(p, path.toString()), "bpf_program__pin", path.toString());
  }

  @Override
  public synchronized void close() {
    if (obj != null) {
      Native.libbpf().bpf_object__close(obj);
      obj = null;
      maps.clear();
    }
  }

  private void checkOpen() {
    if (obj == null) {
      throw new IllegalStateException(file + " is closed");
    }
  }

  private void checkLoaded() {
    checkOpen();
    if (!loaded) {
      throw new IllegalStateException(file + " is not loaded yet");
    }
  }
}
