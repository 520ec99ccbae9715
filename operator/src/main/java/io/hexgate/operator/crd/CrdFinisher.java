package io.hexgate.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresources;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Build step run right after fabric8's CRD generator (see operator/pom.xml). It undoes the two things the
 * generator does that Cilium's CRDs do not: it sorts printer columns by JSONPath, where kubectl prints them in
 * the order the CRD lists them, and it gives every kind with a status the status subresource.
 *
 * <p>Arguments: the directory of generated CRDs, then every custom resource class generated into it.
 */
public final class CrdFinisher {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private CrdFinisher() {}

  public static void main(String[] args) throws ClassNotFoundException {
    Path dir = Path.of(args[0]);
    Set<Path> finished = new HashSet<>();
    for (int i = 1; i < args.length; i++) {
      finished.add(finish(dir, Class.forName(args[i]).asSubclass(HasMetadata.class)));
    }
    List<Path> unlisted = list(dir).stream().filter(p -> !finished.contains(p)).collect(Collectors.toList());
    if (!unlisted.isEmpty()) {
      throw new IllegalStateException("no custom resource class given for " + unlisted
          + ": list it in operator/pom.xml, or clean if it is left from an older build");
    }
  }

  static Path finish(Path dir, Class<? extends HasMetadata> kind) {
    Path file = dir.resolve(HasMetadata.getPlural(kind) + "." + HasMetadata.getGroup(kind) + "-v1.yml");
    String generated = read(file);
    CustomResourceDefinition crd = YAML.unmarshal(generated, CustomResourceDefinition.class);
    for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
      orderColumns(version, kind.getAnnotationsByType(AdditionalPrinterColumn.class));
      if (kind.isAnnotationPresent(WithoutStatusSubresource.class)) {
        dropStatusSubresource(version);
      }
    }
    write(file, header(generated) + YAML.asYaml(crd).replaceFirst("^---\n", ""));
    return file;
  }

  private static void orderColumns(CustomResourceDefinitionVersion version, AdditionalPrinterColumn[] declared) {
    List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
    if (columns == null) {
      return;
    }
    List<String> names = Stream.of(declared).map(AdditionalPrinterColumn::name).collect(Collectors.toList());
    // Columns from field-level @PrinterColumn are not in the list; indexOf puts them first, in generator order.
    columns.sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> names.indexOf(c.getName())));
  }

  private static void dropStatusSubresource(CustomResourceDefinitionVersion version) {
    CustomResourceSubresources subresources = version.getSubresources();
    if (subresources == null) {
      return;
    }
    subresources.setStatus(null);
    if (subresources.getScale() == null) {
      version.setSubresources(null);
    }
  }

  private static String header(String yaml) {
    return yaml.lines().takeWhile(l -> l.startsWith("#")).map(l -> l + "\n").collect(Collectors.joining());
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".yml")).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
