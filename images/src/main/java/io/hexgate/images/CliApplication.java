package io.hexgate.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

/**
 * The application the JVM images run: the CLI jar and exactly the jars its manifest's {@code Class-Path}
 * names (what {@code ./hexgate} runs), read from the cli module's build output.
 */
record CliApplication(Path jar, List<Path> libraries) {
  static final String MAIN_CLASS = "io.hexgate.cli.HexgateCli";

  static CliApplication read(Path jar) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException(jar + " does not exist: build the images with the cli module (-pl images -am, package or later)");
    }
    List<Path> libraries = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      Attributes main = file.getManifest().getMainAttributes();
      if (!MAIN_CLASS.equals(main.getValue(Attributes.Name.MAIN_CLASS))) {
        throw new IOException(jar + " is not the Hexgate CLI (Main-Class " + main.getValue(Attributes.Name.MAIN_CLASS) + ")");
      }
      String classPath = main.getValue(Attributes.Name.CLASS_PATH);
      for (String entry : classPath == null ? new String[0] : classPath.trim().split("\\s+")) {
        Path library = jar.resolveSibling(entry);
        if (!Files.isRegularFile(library)) {
          throw new IOException(jar + " names " + entry + ", which is not in " + library.getParent());
        }
        libraries.add(library);
      }
    }
    return new CliApplication(jar, List.copyOf(libraries));
  }

  /** Whether the jar or one of its libraries holds {@code resource} (a path inside a jar). */
  boolean containsResource(String resource) throws IOException {
    List<Path> all = new ArrayList<>(libraries);
    all.add(0, jar);
    for (Path p : all) {
      try (JarFile file = new JarFile(p.toFile())) {
        if (file.getEntry(resource) != null) {
          return true;
        }
      }
    }
    return false;
  }
}
