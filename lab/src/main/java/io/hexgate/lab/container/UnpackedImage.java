package io.hexgate.lab.container;

import java.nio.file.Path;

/**
 * An image unpacked once for every container that runs it: containers never write to {@code rootfs}, each
 * gets an overlay of its own on top of it.
 */
public record UnpackedImage(String image, String digest, Path rootfs, ImageConfig config) {}
