package io.quotahub.hub.diagnostics;

import io.quotahub.hub.config.Secret;

import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last line of defence of diagnostics output: replaces every configured secret by its
 * masked form, and the name given as {@code secret-env} when it does not look like a variable
 * name (someone pasted the key itself there, and the reader's problem text quotes it).
 */
final class Redactor {

    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern ENV_PROBLEM = Pattern.compile("environment variable (\\S+) is not set");

    private final List<Secret> secrets;

    Redactor(Collection<Secret> secrets) {
        this.secrets = List.copyOf(secrets);
    }

    String clean(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (Secret s : secrets) {
            String value = s.reveal();
            if (out.contains(value)) {
                out = out.replace(value, s.masked());
            }
        }
        Matcher m = ENV_PROBLEM.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String shown = ENV_NAME.matcher(name).matches() ? name : "(a value that is not a variable name, hidden)";
            m.appendReplacement(sb, Matcher.quoteReplacement("environment variable " + shown + " is not set"));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
