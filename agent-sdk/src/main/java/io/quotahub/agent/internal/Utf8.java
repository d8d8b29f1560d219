package io.quotahub.agent.internal;

/**
 * Sizes of text in UTF-8 bytes: hubs bound the text fields they accept in bytes on the wire, not in
 * Java characters. Not part of the API.
 */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * Length of {@code text} in UTF-8 bytes (an unpaired surrogate counts as the {@code ?} it is
     * sent as).
     *
     * @param text any text, not null
     * @return its UTF-8 length
     */
    public static int length(String text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            bytes += bytesOf(cp);
            i += Character.charCount(cp);
        }
        return bytes;
    }

    /**
     * The longest prefix of {@code text} of at most {@code maxBytes} UTF-8 bytes that ends on a
     * character boundary (never half of a surrogate pair).
     *
     * @param text     any text, not null
     * @param maxBytes the bound, {@code >= 0}
     * @return {@code text} itself if it fits, else its cut prefix
     */
    public static String truncate(String text, int maxBytes) {
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            bytes += bytesOf(cp);
            if (bytes > maxBytes) {
                return text.substring(0, i);
            }
            i += Character.charCount(cp);
        }
        return text;
    }

    private static int bytesOf(int cp) {
        if (cp < 0x80) {
            return 1;
        }
        if (cp < 0x800) {
            return 2;
        }
        if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
            return 1; // a lone surrogate is encoded as '?'
        }
        return cp < 0x10000 ? 3 : 4;
    }
}
