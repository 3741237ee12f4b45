package paynplay

import "strconv"

// SECheckDigit is the Luhn check digit of a personnummer's nine digits YYMMDDNNN
// (weights 2, 1, 2, … from the left), for the twelfth digit of YYYYMMDDNNNC.
func SECheckDigit(yymmddnnn string) byte {
	sum := 0
	for i := range len(yymmddnnn) {
		v := int(yymmddnnn[i]-'0') * (2 - i%2)
		sum += v/10 + v%10
	}
	return byte('0' + (10-sum%10)%10)
}

// fiControl are a henkilötunnus's control characters, by DDMMYYNNN mod 31.
const fiControl = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// FIControl is a henkilötunnus's control character for its date DDMMYY and its
// individual number NNN.
func FIControl(ddmmyy, nnn string) byte {
	n, _ := strconv.Atoi(ddmmyy + nnn)
	return fiControl[n%31]
}

// EECheckDigit is an isikukood's check digit for its first ten digits GYYMMDDNNN:
// weights 1–9, 1 and, if that leaves 10, 3–9, 1–3; 0 if that leaves 10 too.
func EECheckDigit(gyymmddnnn string) byte {
	check := func(weights [10]int) int {
		sum := 0
		for i, w := range weights {
			sum += int(gyymmddnnn[i]-'0') * w
		}
		return sum % 11
	}
	c := check([10]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 1})
	if c == 10 {
		if c = check([10]int{3, 4, 5, 6, 7, 8, 9, 1, 2, 3}); c == 10 {
			c = 0
		}
	}
	return byte('0' + c)
}
