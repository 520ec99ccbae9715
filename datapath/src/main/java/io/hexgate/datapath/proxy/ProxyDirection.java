package io.hexgate.datapath.proxy;

/**
 * Whose policy redirected a connection to the proxy: the destination's ingress or the source's egress. Each
 * has its own listener (its slot in the kernel's {@code hg_proxy_sockets}) and socket mark, so that the
 * datapath tells the proxy's packets of one kind from the other's.
 */
public enum ProxyDirection {
  INGRESS(0, 0x0A00),
  EGRESS(1, 0x0B00);

  private final int slot;
  private final int mark;

  ProxyDirection(int slot, int mark) {
    this.slot = slot;
    this.mark = mark;
  }

  /** The key of this direction's listener in {@code hg_proxy_sockets}. */
  public int slot() {
    return slot;
  }

  /** SO_MARK of this direction's sockets (Cilium's MARK_MAGIC_PROXY_INGRESS / _EGRESS). */
  public int mark() {
    return mark;
  }
}
