package job

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
)

// quantityRE is the Kubernetes quantity grammar kamld accepts: a decimal number (no sign, no exponent) and
// an optional binary (Ki…Ei) or decimal (m, k, M…E) suffix. Exponents ("1e3") are rare in practice and
// refused, which keeps the parser small.
var quantityRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`)

var suffixScale = map[string]*big.Rat{
	"": big.NewRat(1, 1), "m": big.NewRat(1, 1000),
	"k": pow(10, 3), "M": pow(10, 6), "G": pow(10, 9), "T": pow(10, 12), "P": pow(10, 15), "E": pow(10, 18),
	"Ki": pow(2, 10), "Mi": pow(2, 20), "Gi": pow(2, 30), "Ti": pow(2, 40), "Pi": pow(2, 50), "Ei": pow(2, 60),
}

func pow(b, e int64) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(b), big.NewInt(e), nil))
}

// ParseQuantity parses a Kubernetes quantity ("500m", "2", "1.5Gi") and returns it multiplied by scale and
// rounded up: ParseQuantity("500m", 1000) is 500 (millicores), ParseQuantity("1Gi", 1) is 1073741824 bytes.
func ParseQuantity(s string, scale int64) (int64, error) {
	m := quantityRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a quantity (like 500m, 2, 512Mi, 4Gi)", s)
	}
	num, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("%q is not a quantity", s)
	}
	num.Mul(num, suffixScale[m[2]])
	num.Mul(num, big.NewRat(scale, 1))
	// Round up: a request for 0.5 bytes is a request for one.
	q, r := new(big.Int).QuoRem(num.Num(), num.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() || q.Int64() > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return q.Int64(), nil
}
