package io.hexgate.datapath.pin;

import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.MapDefinition;
import io.hexgate.datapath.netns.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;
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
 *
 * <p>An upgrade may also change what a map's entries mean while its definition stays (conntrack expiries in
 * another clock), or change a value layout in a way that can be carried (a field appended): a {@link
 * Conversion} names such a map and tells from the pinned maps whether they are of a build that wrote the old
 * meaning or layout. Then that map is replaced (whether or not its definition changed), and its entries are
 * carried through the conversion in both copies, provided the keys fit ({@link MapDefinition#keysFit}); the
 * old programs go on writing the old meaning, into the old map.
 */
public final class MapMigration {
  private static final Logger log = LoggerFactory.getLogger(MapMigration.class);
  public static final String PREVIOUS = "previous";

  /**
   * Entries of map {@link #map} that an older build wrote with another meaning, in the same layout.
   */
  public interface Conversion {
    String map();

    /** Whether the maps pinned now (definitions by name) are of a build that wrote the old meaning. */
    boolean applies(Map<String, MapDefinition> pinned);

    /** What the old meaning was, for the log. */
    String describe();

    /**
     * Called once before each copy, with the loaded object: the new value of an old entry (key, value), of
     * the new map's value size, or null to leave the entry out.
     */
    BinaryOperator<byte[]> start(BpfObject obj);
  }

  /**
   * One map whose pinned definition is not the object's, or whose entries need {@code conversion} (null
   * when they mean the same).
   */
  public record Changed(String name, MapDefinition from, MapDefinition to, Conversion conversion) {
    public Changed(String name, MapDefinition from, MapDefinition to) {
      this(name, from, to, null);
    }

    /** Whether the old entries can be carried: as they are, or through the conversion. */
    public boolean entriesFit() {
      return conversion != null ? from.keysFit(to) : from.entriesFit(to);
    }

    /** The definition's differences, and the conversion's reason. */
    String why() {
      String d = from.differences(to);
      if (conversion == null) {
        return d;
      }
      return (d.isEmpty() ? "" : d + "; ") + "entries of an older build: " + conversion.describe();
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
    return prepare(node, obj, dir, List.of());
  }

  /**
   * As {@link #prepare(String, BpfObject, Path)}, and every map a conversion {@link Conversion#applies} to
   * is replaced too, its entries converted.
   */
  public static MapMigration prepare(String node, BpfObject obj, Path dir, List<Conversion> conversions) {
    Map<String, MapDefinition> ours = obj.pinnableDefinitions();
    Map<String, MapDefinition> pinned = new LinkedHashMap<>();
    for (String name : ours.keySet()) {
      Path pin = dir.resolve(name);
      if (Files.exists(pin)) {
        pinned.put(name, MapDefinition.ofPinned(pin.toString()));
      }
    }
    List<Changed> changed = new ArrayList<>();
    for (Map.Entry<String, MapDefinition> e : pinned.entrySet()) {
      String name = e.getKey();
      Conversion conversion = conversions.stream()
          .filter(c -> c.map().equals(name) && c.applies(pinned)).findFirst().orElse(null);
      if (!e.getValue().equals(ours.get(name)) || conversion != null) {
        changed.add(new Changed(name, e.getValue(), ours.get(name), conversion));
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
        log.info("node {}: map {} changed ({}): its pin moved to {}, a new map replaces it",
            node, c.name(), c.why(), previous.resolve(c.name()));
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
      int n = copyEntries(c, obj, false);
      log.info("node {}: map {}: {} entries {} into the new map", node, c.name(), n,
          c.conversion() != null ? "converted" : "copied");
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
        int n = copyEntries(c, obj, true);
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
    try {
      FileTrees.delete(previous);
    } catch (IOException e) {
      log.warn("node {}: cannot remove the old pins under {}: {}", node, previous, e.toString());
    }
  }

  private int copyEntries(Changed c, BpfObject obj, boolean onlyAbsent) {
    String name = c.name();
    Path pin = previous.resolve(name);
    if (!Files.exists(pin)) {
      return 0;
    }
    BpfMap to = obj.map(name);
    BinaryOperator<byte[]> convert = c.conversion() != null ? c.conversion().start(obj) : (k, v) -> v;
    BpfMap from = BpfMap.openPinned(pin.toString());
    int copied = 0;
    try {
      for (byte[] k : from.keys()) {
        byte[] v = from.lookup(k);
        if (v != null) {
          v = convert.apply(k, v);
        }
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
