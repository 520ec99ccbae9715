package io.hexgate.datapath.bpf;

import jnr.ffi.Pointer;

/**
 * A loaded program by descriptor (owned by its {@link BpfObject}). {@link #testRun} runs it on a packet
 * with BPF_PROG_TEST_RUN; one program instance is not safe for concurrent test runs (buffers are reused).
 */
public final class BpfProgram {
  // struct bpf_test_run_opts (libbpf 1.1)
  private static final int OPTS_SIZE = 80;
  private static final int OFF_DATA_IN = 8;
  private static final int OFF_DATA_OUT = 16;
  private static final int OFF_DATA_SIZE_IN = 24;
  private static final int OFF_DATA_SIZE_OUT = 28;
  private static final int OFF_CTX_IN = 32;
  private static final int OFF_CTX_OUT = 40;
  private static final int OFF_CTX_SIZE_IN = 48;
  private static final int OFF_CTX_SIZE_OUT = 52;
  private static final int OFF_RETVAL = 56;
  private static final int OFF_REPEAT = 60;
  private static final int OFF_DURATION = 64;
  // struct __sk_buff (uapi, kernel 6.x)
  private static final int SKB_SIZE = 192;
  private static final int SKB_MARK = 8;
  private static final int SKB_INGRESS_IFINDEX = 36;
  private static final int SKB_CB = 48;
  private static final int MAX_PACKET = 9216;

  private final String name;
  private final int fd;
  private Pointer opts;
  private Pointer dataIn;
  private Pointer dataOut;
  private Pointer ctxIn;
  private Pointer ctxOut;

  BpfProgram(String name, int fd) {
    this.name = name;
    this.fd = fd;
  }

  public String name() {
    return name;
  }

  public int fd() {
    return fd;
  }

  /**
   * Result of one BPF_PROG_TEST_RUN: the program's return code, the packet after it, {@code skb->cb[0..4]}
   * and {@code skb->mark} as it left them, and the kernel's average duration per repetition.
   */
  public record TestRun(int retval, byte[] packet, int[] cb, long durationNanos, int mark) {
    public int cb0() {
      return cb[0];
    }
  }

  public TestRun testRun(byte[] packet) {
    return testRun(packet, 1);
  }

  /** Runs the program {@code repeat} times on copies of {@code packet} (an Ethernet frame, ≥ 14 bytes). */
  public TestRun testRun(byte[] packet, int repeat) {
    return testRun(packet, repeat, 0);
  }

  /** As {@link #testRun(byte[], int)}, the packet having arrived on interface {@code ingressIfindex}
   *  ({@code skb->ingress_ifindex}; needs no such interface). */
  public TestRun testRun(byte[] packet, int repeat, int ingressIfindex) {
    return testRun(packet, repeat, ingressIfindex, 0);
  }

  /** As {@link #testRun(byte[], int, int)}, the packet carrying {@code skb->mark} {@code mark}. */
  public synchronized TestRun testRun(byte[] packet, int repeat, int ingressIfindex, int mark) {
    if (packet.length < 14 || packet.length > MAX_PACKET) {
      throw new IllegalArgumentException(name + ": test packet of " + packet.length + " bytes (14.." + MAX_PACKET + ")");
    }
    if (opts == null) {
      opts = Native.allocate(OPTS_SIZE);
      dataIn = Native.allocate(MAX_PACKET);
      dataOut = Native.allocate(MAX_PACKET + 256);
      ctxIn = Native.allocate(SKB_SIZE);
      ctxOut = Native.allocate(SKB_SIZE);
    }
    dataIn.put(0, packet, 0, packet.length);
    ctxIn.setMemory(0, SKB_SIZE, (byte) 0);
    ctxIn.putInt(SKB_INGRESS_IFINDEX, ingressIfindex);
    ctxIn.putInt(SKB_MARK, mark);
    opts.setMemory(0, OPTS_SIZE, (byte) 0);
    opts.putLong(0, OPTS_SIZE);
    opts.putAddress(OFF_DATA_IN, dataIn.address());
    opts.putAddress(OFF_DATA_OUT, dataOut.address());
    opts.putInt(OFF_DATA_SIZE_IN, packet.length);
    opts.putInt(OFF_DATA_SIZE_OUT, MAX_PACKET + 256);
    opts.putAddress(OFF_CTX_IN, ctxIn.address());
    opts.putAddress(OFF_CTX_OUT, ctxOut.address());
    opts.putInt(OFF_CTX_SIZE_IN, SKB_SIZE);
    opts.putInt(OFF_CTX_SIZE_OUT, SKB_SIZE);
    opts.putInt(OFF_REPEAT, repeat);
    BpfException.check(Native.libbpf().bpf_prog_test_run_opts(fd, opts), "bpf_prog_test_run_opts", name);
    byte[] out = new byte[opts.getInt(OFF_DATA_SIZE_OUT)];
    dataOut.get(0, out, 0, out.length);
    int[] cb = new int[5];
    for (int i = 0; i < cb.length; i++) {
      cb[i] = ctxOut.getInt(SKB_CB + 4L * i);
    }
    return new TestRun(opts.getInt(OFF_RETVAL), out, cb, Integer.toUnsignedLong(opts.getInt(OFF_DURATION)),
        ctxOut.getInt(SKB_MARK));
  }

  @Override
  public String toString() {
    return "BpfProgram[" + name + ", fd " + fd + "]";
  }
}
