package http

// mccDescriptions are the names of common ISO 18245 merchant category codes, as card
// networks publish them. A code not listed is shown with an empty description: the code
// itself is still the charge's.
var mccDescriptions = map[string]string{
	"4111": "Local Commuter Transport",
	"4121": "Taxicabs and Limousines",
	"4511": "Airlines",
	"4814": "Telecommunication Services",
	"4900": "Utilities",
	"5311": "Department Stores",
	"5411": "Grocery Stores, Supermarkets",
	"5499": "Miscellaneous Food Stores",
	"5541": "Service Stations",
	"5691": "Men's and Women's Clothing Stores",
	"5732": "Electronics Stores",
	"5812": "Eating Places, Restaurants",
	"5814": "Fast Food Restaurants",
	"5912": "Drug Stores and Pharmacies",
	"5921": "Package Stores (Beer, Wine, Liquor)",
	"5942": "Book Stores",
	"5999": "Miscellaneous and Specialty Retail Stores",
	"7011": "Lodging",
	"7832": "Motion Picture Theaters",
	"8062": "Hospitals",
}

// merchantCategoryJSON is a charge's merchant category in the transaction list.
type merchantCategoryJSON struct {
	MCC         string `json:"mcc"`
	Description string `json:"description"`
}

// merchantCategory is the merchant category of a transaction line: a charge's code and its
// name, or nil for any other line and for a charge sent without a code.
func merchantCategory(mcc string) *merchantCategoryJSON {
	if mcc == "" {
		return nil
	}
	return &merchantCategoryJSON{MCC: mcc, Description: mccDescriptions[mcc]}
}
