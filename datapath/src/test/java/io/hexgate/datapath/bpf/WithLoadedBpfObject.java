package io.hexgate.datapath.bpf;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * For test classes that run against the packaged BPF object loaded into the kernel once per class: root
 * only, skipped with the reason elsewhere (see {@link BpfSupport#loadOrSkip()}).
 */
public abstract class WithLoadedBpfObject {
  protected static BpfObject obj;

  @BeforeAll
  static void load() {
    obj = BpfSupport.loadOrSkip();
  }

  @AfterAll
  static void close() {
    if (obj != null) {
      obj.close();
      obj = null;
    }
  }
}
