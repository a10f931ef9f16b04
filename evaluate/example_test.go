package evaluate_test

import (
	"fmt"

	"github.com/flowclass/flowclass/evaluate"
)

func ExampleCompute() {
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	labels := []int{0, 0, 1, 1}
	m, err := evaluate.Compute(scores, labels, nil, 0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ROC AUC %.4f, AP %.4f, precision %.2f, recall %.2f\n", m.ROCAUC, m.PRAUC, m.Precision, m.Recall)
	// Output: ROC AUC 0.7500, AP 0.8333, precision 1.00, recall 0.50
}

func ExampleHoldoutByGroup() {
	groups := []string{"a.pcap", "a.pcap", "b.pcap", "c.pcap", "c.pcap", "d.pcap", "e.pcap"}
	labels := []int{0, 0, 0, 1, 1, 1, 0}
	train, test, err := evaluate.HoldoutByGroup(groups, labels, 0.3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	// One capture of each label is held out; no capture is split.
	seen := map[string]bool{}
	for _, r := range test {
		seen[groups[r]] = true
	}
	fmt.Println(len(train)+len(test) == len(groups), len(seen))
	// Output: true 2
}

func ExampleChooseThreshold() {
	scores := []float64{0.05, 0.2, 0.3, 0.6, 0.7, 0.9}
	labels := []int{0, 0, 1, 0, 1, 1}
	thr, err := evaluate.ChooseThreshold("f1", scores, labels, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(thr)
	// Output: 0.3
}
