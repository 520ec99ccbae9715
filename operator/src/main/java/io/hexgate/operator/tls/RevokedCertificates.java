package io.hexgate.operator.tls;

import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deny list in force, fed from the CA Secret's {@value RevocationList#KEY} key, and whom to tell when
 * it changes. A list with unreadable lines does not take away a revocation already in force: its readable
 * entries are added to the current ones, and the unreadable lines are logged.
 */
public final class RevokedCertificates {
  private static final Logger log = LoggerFactory.getLogger(RevokedCertificates.class);

  private final List<Consumer<RevocationList>> listeners = new CopyOnWriteArrayList<>();
  private volatile RevocationList current = RevocationList.EMPTY;

  public boolean revoked(BigInteger serial) {
    return current.revoked(serial);
  }

  public RevocationList current() {
    return current;
  }

  /** Called with each new list (on the thread that updates it). */
  public void onChange(Consumer<RevocationList> listener) {
    listeners.add(listener);
  }

  /** Takes the text of the deny list from {@code source} (e.g. "Secret(hexgate/hexgate-ca) data.revoked"). */
  public void update(String text, String source) {
    RevocationList.Parsed parsed = RevocationList.parse(text);
    RevocationList next;
    synchronized (this) {
      RevocationList before = current;
      if (parsed.errors().isEmpty()) {
        next = parsed.list();
      } else {
        parsed.errors().forEach(e -> log.error("{} {}: ignored; revocations in force stay", source, e));
        next = before.plus(parsed.list());
      }
      if (next.entries().equals(before.entries())) {
        return;
      }
      current = next;
      next.entries().forEach((serial, node) -> {
        if (!before.revoked(serial)) {
          log.info("certificate {} of node {} is revoked ({})", RevocationList.format(serial), node, source);
        }
      });
    }
    listeners.forEach(l -> l.accept(next));
  }
}
