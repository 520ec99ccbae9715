package io.hexgate.datapath.bpf;

/** A failed libbpf or bpf() call, naming the call, the object, and the errno text. */
public class BpfException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int errno;

  public BpfException(String message) {
    super(message);
    this.errno = 0;
  }

  public BpfException(String call, String object, int errno) {
    super(call + "(" + object + "): " + Native.strerror(errno) + " (errno " + Math.abs(errno) + ")");
    this.errno = Math.abs(errno);
  }

  /** The positive errno, 0 when none applies. */
  public int errno() {
    return errno;
  }

  /** Throws for a negative libbpf return value, returns it otherwise. */
  static int check(int ret, String call, String object) {
    if (ret < 0) {
      throw new BpfException(call, object, ret);
    }
    return ret;
  }
}
