package prefork.bench;

import java.util.List;

/** Median, min, max and spread of a few values; formatting of figures for the report. */
final class Stats {
    private Stats() {}

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** (max - min) / median in percent: how far repeated runs disagreed. */
    static double spreadPercent(List<Double> values) {
        double median = median(values);
        return values.size() < 2 || median == 0 ? 0 : 100 * (max(values) - min(values)) / median;
    }

    /** "12,345" for rates, "1.23" for small figures, "-" for NaN. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        if (Math.abs(value) >= 1000) {
            return String.format("%,.0f", value);
        }
        if (Math.abs(value) >= 100) {
            return String.format("%.0f", value);
        }
        if (Math.abs(value) >= 10) {
            return String.format("%.1f", value);
        }
        return String.format("%.2f", value);
    }

    /** The median, followed by "(min-max)" when there is more than one value. */
    static String withRange(List<Double> values) {
        String median = number(median(values));
        return values.size() < 2 ? median : median + " (" + number(min(values)) + "–" + number(max(values)) + ")";
    }

    static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format("%.2f", a / b);
    }
}
