package io.hexgate.datapath.pin;

import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.MapDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves an agent onto maps whose definition changed since the maps were pinned (an upgrade that changed a
 * map's type, sizes, max entries or flags). libbpf reuses a pinned map only when its definition is the
 * object's, and fails the load otherwise; so before the load, the pin of every such map is moved aside to
 * {@code <pin dir>/previous/}, and the load creates and pins the new generation in its place. The previous
 * agent's programs hold their maps by reference, not by pin, and keep judging traffic with them
 * meanwhile. Then:
 *
 * <ol>
 *   <li>{@link #copy}: after the load, entries of the old maps are copied into the new ones where the
 *       layout allows ({@link MapDefinition#entriesFit}); other maps start empty, the desired state the
 *       agent applies fills them, and a connection whose conntrack entry could not be carried is judged
 *       anew at its next packet.
 *   <li>the agent applies its first revision to the new maps and attaches the new programs over the old
 *       filters (same handle and priority: an atomic replace).
 *   <li>{@link #finish}: entries the old programs created meanwhile in the maps they write themselves
 *       (conntrack) are copied over (only absent keys), and the old pins are removed; the old maps go with
 *       the last program using them.
 * </ol>
 *
 * A failed load puts the old pins back ({@link #rollback}). Everything is logged, map by map.
 */
public final class MapMigration {
  private static final Logger log = LoggerFactory.getLogger(MapMigration.class);
  public static final String PREVIOUS = "previous";

  /** One map whose pinned definition is not the object's. */
  public record Changed(String name, MapDefinition from, MapDefinition to) {
    public boolean entriesFit() {
      return from.entriesFit(to);
    }
  }

  private final String node;
  private final Path dir;
  private final Path previous;
  private final List<Changed> changed;
  private boolean finished;

  private MapMigration(String node, Path dir, List<Changed> changed) {
    this.node = node;
    this.dir = dir;
    this.previous = dir.resolve(PREVIOUS);
    this.changed = List.copyOf(changed);
  }

  /**
   * Before {@code obj.load()}, after {@code obj.pinMapsUnder(dir)}: compares every pinned map with the
   * object's definition and moves the pins of those that differ to {@code dir/previous/}.
   */
  public static MapMigration prepare(String node, BpfObject obj, Path dir) {
    List<Changed> changed = new ArrayList<>();
    for (Map.Entry<String, MapDefinition> e : obj.pinnableDefinitions().entrySet()) {
      Path pin = dir.resolve(e.getKey());
      if (!Files.exists(pin)) {
        continue;
      }
      MapDefinition pinned = MapDefinition.ofPinned(pin.toString());
      if (!pinned.equals(e.getValue())) {
        changed.add(new Changed(e.getKey(), pinned, e.getValue()));
      }
    }
    MapMigration m = new MapMigration(node, dir, changed);
    if (!changed.isEmpty()) {
      m.moveAside();
    }
    return m;
  }

  public List<Changed> changed() {
    return changed;
  }

  public boolean needed() {
    return !changed.isEmpty();
  }

  private void moveAside() {
    try {
      Files.createDirectories(previous);
      for (Changed c : changed) {
        // a pin left there by a migration that never finished belongs to an older generation still: its
        // programs hold it, the pin is not needed any more
        Files.move(dir.resolve(c.name()), previous.resolve(c.name()), StandardCopyOption.REPLACE_EXISTING);
        log.info("node {}: map {} changed definition ({}): its pin moved to {}, a new map replaces it",
            node, c.name(), c.from().differences(c.to()), previous.resolve(c.name()));
      }
    } catch (IOException e) {
      rollback();
      throw new UncheckedIOException("moving the pins of changed maps to " + previous, e);
    }
  }

  /** After a failed load: the old pins where they were, so that the next attempt finds them. */
  public void rollback() {
    for (Changed c : changed) {
      Path old = previous.resolve(c.name());
      if (Files.exists(old)) {
        try {
          Files.move(old, dir.resolve(c.name()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          log.warn("node {}: cannot move the pin of map {} back from {}: {}", node, c.name(), old, e.toString());
        }
      }
    }
  }

  /** After the load: copies the old maps' entries into the new ones where the layout allows. */
  public void copy(BpfObject obj) {
    for (Changed c : changed) {
      if (!c.entriesFit()) {
        log.info("node {}: map {} starts empty (its entries do not fit the new layout: {})",
            node, c.name(), c.from().differences(c.to()));
        continue;
      }
      int n = copyEntries(c.name(), obj.map(c.name()), false);
      log.info("node {}: map {}: {} entries copied into the new map", node, c.name(), n);
    }
  }

  /**
   * After the new programs were attached: copies what the old programs added meanwhile to the maps in
   * {@code kernelWritten} (keys absent from the new map only), then removes the old pins. Does nothing the
   * second time. Returns how many entries it copied: they were judged by the old programs' state.
   */
  public int finish(BpfObject obj, Set<String> kernelWritten) {
    if (finished) {
      return 0;
    }
    finished = true;
    int copied = 0;
    for (Changed c : changed) {
      if (kernelWritten.contains(c.name()) && c.entriesFit()) {
        int n = copyEntries(c.name(), obj.map(c.name()), true);
        copied += n;
        if (n > 0) {
          log.info("node {}: map {}: {} entries the old programs added meanwhile copied too", node, c.name(), n);
        }
      }
    }
    removePrevious();
    if (!changed.isEmpty()) {
      log.info("node {}: migration of {} done: the new programs enforce on the new maps, the old pins are removed",
          node, changed.stream().map(Changed::name).toList());
    }
    return copied;
  }

  /** Removes {@code dir/previous/} and whatever pins it holds (also those an interrupted migration left). */
  public void removePrevious() {
    if (!Files.isDirectory(previous)) {
      return;
    }
    try (Stream<Path> all = Files.walk(previous)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log.warn("node {}: cannot remove the old pins under {}: {}", node, previous, e.toString());
    }
  }

  private int copyEntries(String name, BpfMap to, boolean onlyAbsent) {
    Path pin = previous.resolve(name);
    if (!Files.exists(pin)) {
      return 0;
    }
    BpfMap from = BpfMap.openPinned(pin.toString());
    int copied = 0;
    try {
      for (byte[] k : from.keys()) {
        byte[] v = from.lookup(k);
        if (v == null) {
          continue;
        }
        try {
          if (onlyAbsent) {
            // a key the new programs wrote already is theirs: keep it
            copied += to.putIfAbsent(k, v) ? 1 : 0;
          } else {
            to.update(k, v);
            copied++;
          }
        } catch (BpfException e) {
          // E2BIG/ENOSPC: the new map is smaller; what did not fit starts afresh
          log.warn("node {}: map {}: copying stopped after {} entries: {}", node, name, copied, e.getMessage());
          break;
        }
      }
    } finally {
      from.closeFd();
    }
    return copied;
  }
}
