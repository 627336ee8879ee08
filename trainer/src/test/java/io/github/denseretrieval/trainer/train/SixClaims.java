package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.evaluation.beir.Passage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Six biomedical claims, each with a positive and an unrelated negative passage: a batch small enough to train in a unit test. */
final class SixClaims {

    private SixClaims() {}

    private static final String[][] CLAIMS = {
        {"Vitamin D lowers fracture risk in the elderly.", "Vitamin D and fractures", "Supplementation with vitamin D reduced hip fractures.",
            "Statins and muscle pain", "Muscle symptoms were reported by statin users."},
        {"Aspirin reduces colorectal cancer incidence.", "Aspirin and colorectal cancer", "Daily aspirin lowered colorectal cancer rates.",
            "Coffee and sleep", "Caffeine intake delayed sleep onset."},
        {"Smoking increases the risk of lung cancer.", "Tobacco and lung cancer", "Smokers had a higher incidence of lung carcinoma.",
            "Exercise and mood", "Aerobic exercise improved depressive symptoms."},
        {"Obesity is associated with type 2 diabetes.", "Body weight and diabetes", "Higher BMI predicted incident type 2 diabetes.",
            "Antibiotics and the gut", "Antibiotic courses changed the gut microbiome."},
        {"Measles vaccination prevents measles outbreaks.", "Measles vaccine coverage", "Outbreaks followed drops in MMR coverage.",
            "Salt and blood pressure", "Sodium reduction lowered systolic pressure."},
        {"Metformin lowers blood glucose.", "Metformin in diabetes", "Metformin reduced fasting glucose in patients.",
            "Sunlight and vitamin D", "Skin synthesis of vitamin D depends on UVB."},
    };

    /** One example per claim: its positive and one negative, the positive as the only judged passage. */
    static List<TrainingExample> examples() {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < CLAIMS.length; i++) {
            String[] c = CLAIMS[i];
            Passage positive = new Passage("p" + i, c[1], c[2]);
            Passage negative = new Passage("n" + i, c[3], c[4]);
            out.add(new TrainingExample("q" + i, c[0], positive, List.of(negative), Set.of(positive.id())));
        }
        return out;
    }
}
