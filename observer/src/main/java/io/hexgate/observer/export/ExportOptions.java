package io.hexgate.observer.export;

import com.google.protobuf.FieldMask;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.observer.filter.FlowFilters;
import io.hexgate.observer.mask.FlowMask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Hubble's static exporter options. {@code file} "stdout" writes to standard output instead of a file.
 * Allow and deny lists have GetFlows' whitelist/blacklist semantics.
 */
public record ExportOptions(Path file, int maxSizeMb, int maxBackups, boolean compress,
    List<FlowFilter> allowlist, List<FlowFilter> denylist, FlowMask fieldMask) {
  public static final String FILE_PATH = "hubble-export-file-path";
  public static final String FILE_MAX_SIZE_MB = "hubble-export-file-max-size-mb";
  public static final String FILE_MAX_BACKUPS = "hubble-export-file-max-backups";
  public static final String FILE_COMPRESS = "hubble-export-file-compress";
  public static final String ALLOWLIST = "hubble-export-allowlist";
  public static final String DENYLIST = "hubble-export-denylist";
  public static final String FIELD_MASK = "hubble-export-fieldmask";
  public static final int DEFAULT_MAX_SIZE_MB = 10;
  public static final int DEFAULT_MAX_BACKUPS = 5;
  static final String STDOUT = "stdout";

  private static final Set<String> KNOWN =
      Set.of(FILE_PATH, FILE_MAX_SIZE_MB, FILE_MAX_BACKUPS, FILE_COMPRESS, ALLOWLIST, DENYLIST, FIELD_MASK);
  private static final String PREFIX = "hubble-export-";
  // Unlike HubbleJson.parse, refuses unknown fields and enum names: a misspelt allowlist entry that
  // read as an empty filter would export everything.
  private static final JsonFormat.Parser STRICT = JsonFormat.parser();

  public ExportOptions {
    Objects.requireNonNull(file, FILE_PATH);
    if (maxSizeMb <= 0) {
      throw new IllegalArgumentException(FILE_MAX_SIZE_MB + ": must be at least 1, got " + maxSizeMb);
    }
    if (maxBackups < 0) {
      throw new IllegalArgumentException(FILE_MAX_BACKUPS + ": must not be negative, got " + maxBackups);
    }
    allowlist = List.copyOf(allowlist);
    denylist = List.copyOf(denylist);
    Objects.requireNonNull(fieldMask, FIELD_MASK);
    // a bad filter fails here, naming its option, rather than when the first flow arrives
    FlowFilters.compile(ALLOWLIST, allowlist, DENYLIST, denylist);
  }

  /** A plain file with Hubble's defaults: 10 MB, 5 backups, no compression, no filters, whole flows. */
  public static ExportOptions toFile(Path file) {
    return new ExportOptions(file, DEFAULT_MAX_SIZE_MB, DEFAULT_MAX_BACKUPS, false, List.of(), List.of(), FlowMask.ALL);
  }

  boolean toStandardOutput() {
    return file.toString().equals(STDOUT);
  }

  /**
   * From Hubble's option names and string values; keys not starting with {@code hubble-export-} are
   * someone else's and ignored.
   *
   * @throws IllegalArgumentException naming the option (missing path, bad number, bad filter JSON ...)
   */
  public static ExportOptions parse(Map<String, String> options) {
    for (String key : options.keySet()) {
      if (key.startsWith(PREFIX) && !KNOWN.contains(key)) {
        throw new IllegalArgumentException(key + ": not an exporter option Hexgate supports; known: " + KNOWN);
      }
    }
    String path = options.getOrDefault(FILE_PATH, "").strip();
    if (path.isEmpty()) {
      throw new IllegalArgumentException(FILE_PATH + ": required to export flows");
    }
    return new ExportOptions(Path.of(path),
        whole(FILE_MAX_SIZE_MB, options.get(FILE_MAX_SIZE_MB), DEFAULT_MAX_SIZE_MB),
        whole(FILE_MAX_BACKUPS, options.get(FILE_MAX_BACKUPS), DEFAULT_MAX_BACKUPS),
        bool(FILE_COMPRESS, options.get(FILE_COMPRESS)),
        parseFilters(ALLOWLIST, options.getOrDefault(ALLOWLIST, "")),
        parseFilters(DENYLIST, options.getOrDefault(DENYLIST, "")),
        parseFieldMask(FIELD_MASK, options.getOrDefault(FIELD_MASK, "")));
  }

  /**
   * JSON FlowFilters as Hubble's options hold them: objects one after the other, separated by commas
   * and/or white space ({@code {"verdict":["DROPPED"]},{"source_pod":["kube-system/"]}}), with proto
   * or lowerCamelCase field names.
   */
  public static List<FlowFilter> parseFilters(String option, String json) {
    List<FlowFilter> filters = new ArrayList<>();
    for (String object : JsonObjects.split(option, json)) {
      try {
        FlowFilter.Builder filter = FlowFilter.newBuilder();
        STRICT.merge(object, filter);
        filters.add(filter.build());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(option + ": not a FlowFilter: " + object + ": " + e.getMessage(), e);
      }
    }
    return filters;
  }

  /** Flow field paths separated by spaces and/or commas ({@code time source.namespace verdict}). */
  public static FlowMask parseFieldMask(String option, String paths) {
    List<String> list = Arrays.stream(paths.split("[\\s,]+")).filter(p -> !p.isEmpty()).toList();
    try {
      return FlowMask.of(FieldMask.newBuilder().addAllPaths(list).build());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  private static int whole(String option, String value, int fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": not a whole number: \"" + value + "\"", e);
    }
  }

  /** The spellings Go's strconv.ParseBool accepts, as Hubble reads its flags. */
  private static boolean bool(String option, String value) {
    if (value == null || value.isBlank()) {
      return false;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "1", "t", "true" -> true;
      case "0", "f", "false" -> false;
      default -> throw new IllegalArgumentException(option + ": not true or false: \"" + value + "\"");
    };
  }
}
