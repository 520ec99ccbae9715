package io.hexgate.datapath.bpf;

import io.hexgate.datapath.sys.LibC;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads libbpf.so.1 once. {@link #unavailableReason()} says why BPF cannot be used here (not
 * Linux, no libbpf); whether the kernel lets us load programs shows only when one is loaded.
 */
public final class Native {
  private static final Logger log = LoggerFactory.getLogger("io.hexgate.datapath.bpf.libbpf");
  private static final Object LOCK = new Object();
  private static volatile Native instance;
  private static volatile String failure;
  /** Keeps the print callback reachable: libbpf holds only its address. */
  private static final AtomicReference<LibBpf.PrintFn> printer = new AtomicReference<>();

  private final LibBpf bpf;
  private final Runtime runtime;

  private Native(LibBpf bpf) {
    this.bpf = bpf;
    this.runtime = Runtime.getRuntime(bpf);
  }

  private static Native get() {
    Native n = instance;
    if (n != null) {
      return n;
    }
    synchronized (LOCK) {
      if (instance == null && failure == null) {
        try {
          if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            throw new UnsatisfiedLinkError("eBPF needs Linux, this is " + System.getProperty("os.name"));
          }
          // The versioned name: the unversioned libbpf.so exists only with libbpf-dev.
          LibBpf bpf = LibraryLoader.create(LibBpf.class).failImmediately().load("libbpf.so.1");
          instance = new Native(bpf);
          routeLogging(instance);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
          failure = "cannot load libbpf.so.1 (Debian: apt-get install libbpf1): " + e.getMessage();
        }
      }
      if (instance == null) {
        throw new BpfException(failure);
      }
      return instance;
    }
  }

  /** Why libbpf cannot be used in this process, or empty when it loaded. */
  public static Optional<String> unavailableReason() {
    try {
      get();
      return Optional.empty();
    } catch (BpfException e) {
      return Optional.of(e.getMessage());
    }
  }

  public static LibBpf libbpf() {
    return get().bpf;
  }

  public static Runtime runtime() {
    return get().runtime;
  }

  /** errno saved by the last {@code @SaveError} call of this thread. */
  public static int errno() {
    return LastError.getLastError(get().runtime);
  }

  /** The text of an errno, or of libbpf's own codes (4000 and up, e.g. 4001 "Invalid ELF object format"). */
  public static String strerror(int errno) {
    int e = Math.abs(errno);
    if (e >= 4000) {
      Pointer buf = allocate(256);
      if (get().bpf.libbpf_strerror(-e, buf, 256) == 0) {
        return buf.getString(0);
      }
    }
    return LibC.get().strerror(e);
  }

  /** Zeroed native memory, freed when unreachable. */
  public static Pointer allocate(int size) {
    return Memory.allocateDirect(get().runtime, size, true);
  }

  private static void routeLogging(Native n) {
    LibBpf.PrintFn fn = (level, format, args) -> {
      Pointer buf = Memory.allocateDirect(n.runtime, 1024);
      int len = LibC.get().vsnprintf(buf, 1024, format, args);
      String msg = buf.getString(0).stripTrailing();
      // libbpf levels: 0 warn, 1 info, 2 debug
      switch (level) {
        case 0 -> log.warn("{}", msg);
        case 1 -> log.info("{}", msg);
        default -> log.debug("{}", msg);
      }
      return len;
    };
    printer.set(fn);
    n.bpf.libbpf_set_print(fn);
  }
}
