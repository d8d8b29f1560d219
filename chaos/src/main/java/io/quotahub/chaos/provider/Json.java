package io.quotahub.chaos.provider;

/** Just enough JSON for the simulator's small, flat documents. */
final class Json {

    private Json() {
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /**
     * The value of a top-level integer field, e.g. {@code tokens} in {@code {"tokens": 12}}.
     *
     * @return the value, or {@code dflt} if the field is absent
     * @throws IllegalArgumentException if the field is present but not a whole number
     */
    static long longField(String json, String field, long dflt) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"" + java.util.regex.Pattern.quote(field) + "\"\\s*:\\s*([^,}\\s]+)")
                .matcher(json);
        if (!m.find()) {
            return dflt;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + field + "' must be a whole number");
        }
    }
}
